# stackdoctor.openstack: `make demo` runs the main job, `make test` runs every test.
# Both install what they need (apt packages, a cached venv, cached node images) and are safe to re-run.
SHELL := /bin/bash
.DEFAULT_GOAL := help
CACHE ?= $(HOME)/.cache/stackdoctor
REQ_HASH := $(shell sha256sum requirements.txt | cut -c1-12)
VENV ?= $(CACHE)/venv-$(REQ_HASH)
COLL_LINK := .cache/collections/ansible_collections/stackdoctor/openstack
APT_PACKAGES := podman runc debootstrap uidmap python3-venv iproute2
PHASE := tests/tools/phase.sh
export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PHASE_LOG := $(CURDIR)/.cache/phase-times.txt

.PHONY: help deps apt venv collection venv-path
help:
	@echo "make demo   - the main job (see README)"
	@echo "make test   - every test (unit, lint, sanity, build, molecule, integration)"

venv-path:
	@echo $(VENV)

deps: apt venv collection

apt:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "apt: installing$$missing"; \
	  apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null; \
	else echo "apt: all present"; fi

venv: $(VENV)/.complete
$(VENV)/.complete: requirements.txt
	@mkdir -p $(CACHE)
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements.txt 2>&1 | grep -v '^WARNING: Location' || true
	$(VENV)/bin/python -c 'import ansible, openstack, molecule, testinfra' && touch $@

collection:
	@mkdir -p $(dir $(COLL_LINK))
	@[ -L $(COLL_LINK) ] || ln -sfn ../../../.. $(COLL_LINK)
	@test -f $(COLL_LINK)/galaxy.yml
