"""jinja2 templates (HLS C++, TCL, Verilog), installed as ``hwgen.templates`` package data."""
