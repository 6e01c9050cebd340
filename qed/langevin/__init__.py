"""EBM training by Langevin dynamics (EBT, contrastive divergence, IRED)."""
