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
	@tests/tools/apt-install.sh $(APT_PACKAGES) && echo "apt: $(APT_PACKAGES) present"

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

# ---------------------------------------------------------------- images (cached by content hash)
.PHONY: images
images: deps
	@bash tests/hosts/build-node-image.sh

# ---------------------------------------------------------------- tests
MOLECULE_SCENARIOS ?= $(sort $(filter-out shared _%,$(notdir $(patsubst %/molecule.yml,%,$(wildcard molecule/*/molecule.yml)))))
# outside any git checkout (ansible-test would list only tracked files), one per checkout
SANITY_ROOT := $(CACHE)/sanity-$(shell echo $(CURDIR) | sha256sum | cut -c1-8)
SANITY_DIR := $(SANITY_ROOT)/ansible_collections/stackdoctor/openstack
SANITY_TESTS := action-plugin-docs ansible-doc compile empty-init import line-endings no-assert \
  no-get-exception no-illegal-filenames no-smart-quotes pep8 replace-urlopen runtime-metadata shebang \
  symlinks use-argspec-type-path use-compat-six validate-modules yamllint

.PHONY: test unit lint changelog sanity docs build compat molecule integration test-times gen new-pair browser
# Regenerate docs/checks/<check>.md and README's checks table from the check declarations.
gen: deps
	python tools/devtool.py docs

# Scaffold a new check/fix pair: make new-pair NAME=<name> [SCOPE=host|cloud] [FIX=no]
new-pair: deps
	@test -n "$(NAME)" || { echo "usage: make new-pair NAME=<name> [SCOPE=host|cloud] [FIX=no]"; exit 2; }
	python tools/devtool.py new $(NAME) --scope $(or $(SCOPE),host) $(if $(filter no,$(FIX)),--no-fix,)

# tests/tools/make-test.sh: the lab starts in the background while unit ... molecule run
test: deps
	@bash tests/tools/make-test.sh

test-times:
	@echo; echo "== time per phase of make test =="; cat $(PHASE_LOG)
	@echo "(molecule scenarios: $(MOLECULE_SCENARIOS); each passed create, prepare, converge, idempotence, verify)"
	@python tests/tools/summary.py .cache/junit-unit.xml .cache/junit-browser.xml .cache/junit-integration.xml

unit: deps
	pytest -q tests/unit --junitxml=.cache/junit-unit.xml

# report.html in headless Chromium (tests/browser, recorded results, no lab). Debian's chromium
# and chromium-driver are installed here, on the test path only (make demo does not need them).
BROWSER_PACKAGES := chromium chromium-driver
browser: deps
	@tests/tools/apt-install.sh $(BROWSER_PACKAGES)
	STACKDOCTOR_BROWSER_REQUIRED=1 pytest -q tests/browser --junitxml=.cache/junit-browser.xml
	@cat .cache/browser/render-times.txt

lint: deps changelog
	@# the plain invocation a fresh checkout gets (configuration: .ansible-lint and ./ansible.cfg; not even
	@# the ANSIBLE_CONFIG exported above). A fresh clone: git clone ... c && cd c && ansible-lint --profile production
	env -u ANSIBLE_CONFIG ansible-lint --profile production

# Changelog (antsibull-changelog, ~3 s): one fragment per change in changelogs/fragments/ (docs/DEVELOPING.md),
# valid and without scaffold TODOs; CHANGELOG.md is generated from changelogs/changelog.yaml, never edited.
changelog: deps
	antsibull-changelog lint
	antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml
	@! grep -l '\bTODO\b' changelogs/fragments/*.y*ml 2>/dev/null || { echo "changelog fragments above still have TODOs"; exit 1; }
	@antsibull-changelog generate --output .cache/CHANGELOG.generated.md --output-format md && \
	  cmp -s .cache/CHANGELOG.generated.md CHANGELOG.md || { echo "CHANGELOG.md is generated (antsibull-changelog generate): do not edit it, add a fragment in changelogs/fragments/"; \
	  diff .cache/CHANGELOG.generated.md CHANGELOG.md | head -20; exit 1; }
	@echo "changelog: $$(ls changelogs/fragments/*.y*ml 2>/dev/null | wc -l) fragment(s) valid, CHANGELOG.md matches changelogs/changelog.yaml"

sanity: deps
	@pipver=$$(grep -ho "pip='[0-9.]*'" $(VENV)/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py | head -1 | grep -o '[0-9][0-9.]*'); \
	  mkdir -p $(HOME)/.ansible/test/cache; cp tests/tools/ansible_test_get_pip.py $(HOME)/.ansible/test/cache/get_pip_$${pipver//./_}.py
	@rm -rf $(SANITY_ROOT) && mkdir -p $(SANITY_DIR)
	@git ls-files -co --exclude-standard | grep -v '^\.cache/' | tar -cf - -T - | tar -C $(SANITY_DIR) -xf -
	@# modules built on openstack.cloud import it: give ansible-test the bundled copy beside ours
	@cp -a $(VENV)/lib/python3*/site-packages/ansible_collections/openstack $(SANITY_ROOT)/ansible_collections/
	cd $(SANITY_DIR) && ansible-test sanity --python $$(python -c 'import sys;print("%d.%d"%sys.version_info[:2])') \
	  $(addprefix --test ,$(SANITY_TESTS)) --color no

docs: deps
	@for m in $$(ls plugins/modules/*.py | xargs -n1 basename | sed 's/\.py$$//'); do \
	  ansible-doc stackdoctor.openstack.$$m > .cache/doc-$$m.txt || { echo "ansible-doc failed for $$m"; exit 1; }; \
	  grep -q 'OPTIONS' .cache/doc-$$m.txt || { echo "no OPTIONS in ansible-doc $$m"; exit 1; }; \
	  echo "ansible-doc stackdoctor.openstack.$$m: $$(wc -l < .cache/doc-$$m.txt) lines"; done
	@for f in $$(ls plugins/filter/*.yml | xargs -n1 basename | sed 's/\.yml$$//'); do \
	  ansible-doc -t filter stackdoctor.openstack.$$f >/dev/null || { echo "ansible-doc failed for filter $$f"; exit 1; }; done; \
	  echo "ansible-doc filters: $$(ls plugins/filter/*.yml | wc -l) ok"
	@ansible-doc -t lookup stackdoctor.openstack.checks >/dev/null && echo "ansible-doc lookup checks: ok"
	@ansible-doc -t callback stackdoctor.openstack.progress | grep -q 'interval' && echo "ansible-doc callback progress: ok"
	@python tools/devtool.py docs --check && echo "docs/checks/*.md and README's checks table match the declarations"

# The oldest ansible-core the collection claims runs its playbooks (tests/tools/compat.sh)
compat: deps collection
	@bash tests/tools/compat.sh $(CACHE) $(VENV)

build: deps
	@rm -rf .cache/build && mkdir -p .cache/build/install
	ansible-galaxy collection build --force --output-path .cache/build .
	ansible-galaxy collection install --force --offline --no-deps -p .cache/build/install .cache/build/stackdoctor-openstack-*.tar.gz
	ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/.cache/build/install ansible-doc stackdoctor.openstack.node_facts >/dev/null
	@test -f .cache/build/install/ansible_collections/stackdoctor/openstack/roles/check_tgt_include/meta/argument_specs.yml
	@echo "built and installed: $$(ls .cache/build/*.tar.gz)"

molecule: deps images
	@was=$$(tests/hosts/podman-socket.sh status >/dev/null 2>&1 && echo up || echo down); rc=0; \
	for s in $(MOLECULE_SCENARIOS); do \
	  $(PHASE) molecule:$$s molecule test -s $$s || { rc=1; break; }; done; \
	[ $$was = up ] || [ "$${STACKDOCTOR_PODMAN_SOCKET_KEEP:-0}" = 1 ] || tests/hosts/podman-socket.sh stop-if-unused; exit $$rc

integration: deps images
	@rm -f .cache/sabotage-catalog.txt
	STACKDOCTOR_LAB_AUTO=1 pytest -q tests/integration --junitxml=.cache/junit-integration.xml --durations=15; rc=$$?; \
	  if [ -f .cache/sabotage-catalog.txt ]; then echo "== the sabotage catalog, each fault alone (tests/integration/test_sabotage_catalog.py) =="; \
	  cat .cache/sabotage-catalog.txt; fi; exit $$rc

# ---- lab
# The lab (tests/lab/README.md): control plane on 127.0.0.1 (tests/lab/lab.sh) + node containers
# (tests/lab/nodes.yml via tests/lab/lab-nodes.sh). lab-up is safe to repeat (an up-to-date lab
# takes ~2 s); each run appends its times to .cache/lab-times.txt and prints them with the memory.
LAB_TIMES := $(CURDIR)/.cache/lab-times.txt
.PHONY: lab-up lab-down lab-status lab-mem demo
lab-up: apt
	@mkdir -p .cache; export PHASE_LOG=$(CURDIR)/.cache/lab-up-phases.txt; rm -f $$PHASE_LOG; \
	cp_state=$$(tests/lab/lab.sh status >/dev/null 2>&1 && echo up || echo down); \
	nodes_state=$$(tests/lab/lab-nodes.sh status >/dev/null 2>&1 && echo up || echo down); \
	t0=$$(date +%s.%N); \
	: "the control plane (its own lab venv), the node image and the tooling venv need nothing of each other"; \
	$(PHASE) lab:control-plane tests/lab/lab.sh up > .cache/lab-control-plane.log 2>&1 & cp_pid=$$!; \
	$(PHASE) lab:image bash tests/lab/lab-images.sh > .cache/lab-image.log 2>&1 & img_pid=$$!; \
	$(PHASE) lab:tooling $(MAKE) -s venv collection; tool_rc=$$?; \
	wait $$img_pid; img_rc=$$?; wait $$cp_pid; cp_rc=$$?; \
	grep -v -E '^(Getting|Copying|Writing|Storing) ' .cache/lab-image.log; cat .cache/lab-control-plane.log; \
	[ $$cp_rc = 0 ] && [ $$img_rc = 0 ] && [ $$tool_rc = 0 ] || { \
	  echo "lab-up: control plane rc=$$cp_rc, node image rc=$$img_rc, tooling venv rc=$$tool_rc"; exit 1; }; \
	$(PHASE) lab:nodes tests/lab/lab-nodes.sh up || exit 1; \
	t=$$(awk -v s=$$t0 -v e=$$(date +%s.%N) 'BEGIN{printf "%.1f", e-s}'); \
	kind=$$([ $$cp_state = down ] && echo "control plane was down" || echo "control plane was up"); \
	kind="$$kind, nodes were $$nodes_state"; \
	echo "$$(date -Is) lab-up $${t}s ($$kind): $$(awk '{printf "%s %s  ", $$1, $$2}' $$PHASE_LOG)" >> $(LAB_TIMES); \
	echo; echo "== lab-up: $${t}s ($$kind) =="; cat $$PHASE_LOG; \
	$(MAKE) -s lab-mem; \
	echo "(history of lab-up times: $(LAB_TIMES))"

lab-mem:
	@cp=$$(tests/lab/lab.sh status | sed -n 's/^total RSS: \([0-9]*\) MB.*/\1/p'); \
	ct=$$(tests/lab/lab-nodes.sh mem); \
	echo "memory: control plane RSS $${cp:-?} MB + lab containers $${ct} MB = $$(( $${cp:-0} + $${ct%.*} )) MB"

# lab-down also stops the podman API service that the lab or molecule's create started
# (tests/hosts/podman-socket.sh stop-if-unused), or says what uses it and how to stop it.
lab-down:
	@t0=$$(date +%s.%N); tests/lab/lab-nodes.sh down; tests/lab/lab.sh down; \
	tests/hosts/podman-socket.sh stop-if-unused; \
	echo "lab-down: $$(awk -v s=$$t0 -v e=$$(date +%s.%N) 'BEGIN{printf "%.1f", e-s}')s"; \
	left=$$(podman ps -aq --filter label=owner=stackdoctor-lab | wc -l); \
	echo "left behind: $$left lab containers"

lab-status:
	@rc=0; tests/lab/lab.sh status || rc=1; echo; tests/lab/lab-nodes.sh status || rc=1; \
	$(MAKE) -s lab-mem 2>/dev/null; exit $$rc

# make demo: lab up, every fault of tests/lab/sabotage/lab_sabotage.yml, diagnose, remediate, diagnose.
# (only apt first: make lab-up builds the tooling venv beside the control plane and the node image)
demo: apt
	@bash tests/demo/demo.sh

# ---- benchmarks (not part of make test): tests/bench/README.md
.PHONY: bench
bench: deps
	python tests/bench/placement_audit.py
	python tests/bench/diagnose_vs_ping.py --nodes 100
