"""Vitis HLS C++ project generator."""
