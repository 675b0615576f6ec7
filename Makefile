# dpf: the two commands that do everything on a fresh Debian 12 machine (root):
#
#   make demo    install what is missing, build, run dpf on its embedded default
#   make test    install what is missing, build, run every test suite
#
# Other targets: build, asan (unit tests under ASan+UBSan), fuzz (libFuzzer,
# FUZZ_SECONDS per target), bench, deb (the Debian package, in build-deb/),
# clean.  WERROR=true turns warnings into
# errors (CI sets it).

BUILD ?= build
WERROR ?= false
FUZZ_SECONDS ?= 20
TEST_ARGS ?=
SANITIZE_CFLAGS := -fno-sanitize-recover=all -fno-omit-frame-pointer
# libFuzzer needs coverage in the libraries it fuzzes, not only in the target.
FUZZ_CFLAGS := $(SANITIZE_CFLAGS) -fsanitize=fuzzer-no-link

# Everything the build, the tests, the demo and the benchmarks use.
DEB_PACKAGES := \
	adduser \
	clang \
	debhelper \
	devscripts \
	dpdk \
	dpdk-dev \
	dpkg-dev \
	ethtool \
	fakeroot \
	gcc \
	groff-base \
	iperf3 \
	iputils-ping \
	iproute2 \
	libclang-rt-14-dev \
	libcmocka-dev \
	libdpdk-dev \
	libjansson-dev \
	liblua5.3-dev \
	libpcap-dev \
	libssl-dev \
	lintian \
	logrotate \
	man-db \
	meson \
	ninja-build \
	openssl \
	openvswitch-switch-dpdk \
	pkg-config \
	procps \
	python3 \
	python3-matplotlib \
	python3-prometheus-client \
	python3-scapy \
	systemd \
	tcpdump \
	tshark \
	ucarp

.PHONY: all deps build test asan fuzz demo bench deb clean pktgen

all: build

# Installs only the packages that are missing, so a second run costs a
# dpkg-query per package.  tshark's debconf question is answered up front.
deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || \
			missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "deps: installing$$missing"; \
		if [ "$$(id -u)" != 0 ]; then echo "deps: run as root to install packages" >&2; exit 1; fi; \
		echo "wireshark-common wireshark-common/install-setuid boolean false" | \
			debconf-set-selections; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -q && apt-get install -y -q --no-install-recommends $$missing; \
	fi

$(BUILD)/build.ninja:
	meson setup $(BUILD) -Dwerror=$(WERROR)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

# The summary line ("N passed, N failed, N skipped") comes last.
test: build
	@rc=0; meson test -C $(BUILD) --print-errorlogs $(TEST_ARGS) || rc=$$?; \
	python3 tools/test-summary.py $(BUILD)/meson-logs/testlog.json || rc=1; \
	exit $$rc

build-asan/build.ninja:
	meson setup build-asan -Dwerror=$(WERROR) -Db_sanitize=address,undefined \
		-Db_lundef=false -Dc_args="$(SANITIZE_CFLAGS)"

asan: deps build-asan/build.ninja
	ninja -C build-asan
	@rc=0; meson test -C build-asan --print-errorlogs --suite unit --suite fuzz-replay || rc=$$?; \
	python3 tools/test-summary.py build-asan/meson-logs/testlog.json || rc=1; \
	exit $$rc

build-fuzz/build.ninja:
	CC=clang meson setup build-fuzz -Dwerror=$(WERROR) -Dfuzz=true -Dtests=false \
		-Db_sanitize=address,undefined -Db_lundef=false -Dc_args="$(FUZZ_CFLAGS)"

fuzz: deps build-fuzz/build.ninja
	ninja -C build-fuzz
	tools/run-fuzz.sh build-fuzz $(FUZZ_SECONDS)

demo: build
	tools/demo.sh $(BUILD)

# make bench: the default set, written as rows of docs/bench/harness.csv
# (made afresh) and drawn by tools/bench/plot.py into docs/bench/ (PNG
# charts, results.md; with every other docs/bench/*.csv present): the pcap
# harness at BENCH_FRAMES sizes and IMIX (BENCH_ROUNDS rounds), then the
# states harness (BENCH_STATES_ROUNDS rounds) at each of BENCH_STATES_NS
# states, with its 1k-flow runs: established rates at each N; new states/s
# (warm passes) and the BENCH_STATES_RULES rulesets at the last N only (a
# pass of fewer than about 1M new states is too short to sample).  About
# 15 minutes on the 2-vCPU VM of docs/BENCHMARKS.md.  A failed run is
# reported and the rest goes on; the exit status is 1 if any failed.
# BENCH_HARNESS=pcap|memif|all|states: the old behaviour, that one
# tools/bench/run.sh run and its table, no CSV and no charts.
BENCH_HARNESS ?=
BENCH_ROUNDS ?= 3
BENCH_STATES_ROUNDS ?= 2
BENCH_FRAMES ?= 64 128 256 512 1518
BENCH_STATES_NS ?= 10000 100000 1000000
BENCH_STATES_RULES ?= 10 1000 10000
BENCH_CSV ?= docs/bench/harness.csv
bench: build
ifneq ($(BENCH_HARNESS),)
	BENCH_CSV= tools/bench/run.sh $(BUILD) $(BENCH_HARNESS)
else
	@rc=0; mkdir -p $(dir $(BENCH_CSV)) && rm -f $(BENCH_CSV); \
	export BENCH_CSV=$(abspath $(BENCH_CSV)); \
	BENCH_ROUNDS=$(BENCH_ROUNDS) BENCH_FRAMES="$(BENCH_FRAMES)" \
		tools/bench/run.sh $(BUILD) pcap || rc=1; \
	for n in $(BENCH_STATES_NS); do \
		rules=; refills=0; \
		[ $$n = "$(lastword $(BENCH_STATES_NS))" ] && rules="$(BENCH_STATES_RULES)" && refills=2; \
		BENCH_ROUNDS=$(BENCH_STATES_ROUNDS) BENCH_STATES_N=$$n BENCH_STATES_RULES="$$rules" \
			BENCH_STATES_REFILLS=$$refills tools/bench/run.sh $(BUILD) states || rc=1; \
	done; \
	/usr/bin/python3 tools/bench/plot.py --out $(dir $(BENCH_CSV)) || rc=1; \
	exit $$rc
endif

# The Debian package (debian/, debhelper), built in a copy of the tree under
# build-deb/; tests/deploy/test_deb.sh (in make test) builds, lints, installs
# and removes it.
deb: deps
	tools/build-deb.sh build-deb

# Pktgen-DPDK 23.03.0 (../shared/vendor) with Lua, into build-pktgen/;
# tools/pktgen/README.md runs its scripts against dpf.
pktgen: deps
	tools/pktgen/build.sh build-pktgen

clean:
	rm -rf $(BUILD) build-asan build-fuzz build-deb
