"""Design-space exploration: every (variant, bits, board, clock, PE split) point through the hardware model."""
