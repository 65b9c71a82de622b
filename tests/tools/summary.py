"""Print one closing line for `make test`: the pytest counts of every junit file it wrote.

Usage: summary.py JUNIT.xml...   ->   "tests: N passed, M failed, K skipped"
"""
import sys
import xml.etree.ElementTree as ET

passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        print('summary: cannot read %s: %s' % (path, exc))
        failed += 1
        continue
    for suite in ([root] if root.tag == 'testsuite' else root.iter('testsuite')):
        t = int(suite.get('tests', 0))
        f = int(suite.get('failures', 0)) + int(suite.get('errors', 0))
        s = int(suite.get('skipped', 0))
        passed += t - f - s
        failed += f
        skipped += s
print('tests: %d passed, %d failed, %d skipped' % (passed, failed, skipped))
sys.exit(1 if failed else 0)
