# `make demo` and `make test` work on a fresh Debian machine (Python 3, root): they create .venv,
# install hwgen with its test extras, and the apt tools (iverilog, yosys) the RTL tests need.
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
# pytest-xdist workers for `make test`: one per CPU, at most 4 (each file runs whole on one worker, so module
# fixtures are built once; tests use their own tmp_path, so workers never share a directory).
JOBS ?= $(shell python3 -c "import os; print(min(4, os.cpu_count() or 1))")

.PHONY: setup tools demo test test-slow cosim-mobilenet cosim-mobilenet-pynq bench mutation clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	# ap_types headers for C-simulation ship in the hls4ml wheel; its heavy deps are not needed.
	$(PY) -m pip install -q --no-deps hls4ml
	touch $@

tools:
	@command -v iverilog >/dev/null && command -v yosys >/dev/null || \
		(apt-get update -qq && apt-get install -y -qq iverilog yosys)

demo: setup tools
	$(BIN)/hwgen analyze mobilenet_v1
	$(BIN)/hwgen estimate mobilenet_v1 --pe 64
	$(BIN)/hwgen generate tiny_dsc --pe 32 -o build/demo_hls --force
	$(BIN)/hwgen csim build/demo_hls
	$(BIN)/hwgen rtl tiny_dsc --pe 32 -o build/demo_rtl --force
	$(BIN)/hwgen cosim build/demo_rtl

# CI runs `make test`; tests marked slow (Yosys synthesis, full-size cosims) run with `make test-slow`.
test: setup tools
	$(BIN)/pytest -q -m "not slow" -n $(JOBS) --dist loadfile --durations=20

# Slow-marked tests (deselected by `make test`): Yosys synthesis, the MobileNet 1.0-224 cosim on Verilator.
test-slow: setup tools
	$(BIN)/pytest -q -m slow

# The headline design in RTL: MobileNet v1 1.0-224 at 64 PEs on the zcu104 (weights in DRAM, weight tiles), cocotb on
# Verilator with a real photo as calibration and test image; bit-exact and cycles = hwgen estimate (docs/rtl.md).
cosim-mobilenet: setup
	$(PY) examples/photo/make_npz.py --resolution 224 -o build/photo_224.npz
	$(BIN)/hwgen rtl mobilenet_v1 --pe 64 --board zcu104 --data build/photo_224.npz -o build/rtl_mnet224 --force
	$(BIN)/hwgen cosim build/rtl_mnet224 --simulator verilator

# The same network on the pynq-z2 (maps above 150,528 elements streamed through DRAM in bands, weights in DRAM):
# bit-exact logits and maps left in DRAM, cycles = hwgen estimate (docs/rtl.md).
cosim-mobilenet-pynq: setup
	$(PY) examples/photo/make_npz.py --resolution 224 -o build/photo_224.npz
	$(BIN)/hwgen rtl mobilenet_v1 --pe 64 --board pynq-z2 --data build/photo_224.npz -o build/rtl_mnet224_pynq --force
	$(BIN)/hwgen cosim build/rtl_mnet224_pynq --simulator verilator

# Mutation score of the contract and arithmetic modules (docs/mutation.md); not part of `make test`/CI.
mutation: setup
	$(PY) -m pip install -q -e '.[mutation]'
	$(PY) tests/mutation/run.py

bench: setup
	@for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
