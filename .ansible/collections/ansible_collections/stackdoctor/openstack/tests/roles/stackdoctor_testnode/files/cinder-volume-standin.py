#!/usr/bin/python3
"""STAND-IN for cinder-volume on stackdoctor test nodes (NOT the OpenStack daemon).

Appends one start line to the cinder-volume log, then sleeps, so that a restart of the
unit is observable (new MainPID, new start line). Usage: cinder-volume-standin LOGFILE
"""
import datetime
import os
import sys
import time

log = sys.argv[1]
os.makedirs(os.path.dirname(log), exist_ok=True)
with open(log, "a") as f:
    f.write("%s %d INFO cinder.cmd.volume [-] stackdoctor stand-in for cinder-volume starting\n"
            % (datetime.datetime.now().isoformat(" ", "milliseconds"), os.getpid()))
while True:
    time.sleep(3600)
