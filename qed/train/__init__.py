"""Training stages: LoRA SFT, EBM (InfoNCE), joint training, monitoring."""
