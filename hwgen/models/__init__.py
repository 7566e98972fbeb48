"""Models in: the zoo (MobileNet v1 family, tiny nets), float weights and BN folding, per-layer analysis."""
