"""Code generators: (QuantGraph, Mapping) -> HLS C++ or Verilog RTL."""
