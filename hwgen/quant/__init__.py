"""Quantization: per-layer ap_fixed formats, the quantized graph, the bit-exact golden model, accuracy."""
