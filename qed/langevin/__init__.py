"""Energy models trained by Langevin dynamics (EBT, contrastive divergence, IRED), the image
prototype's data and metrics, and the language track's Langevin tactic proposer.

Depends on qed.core and qed.value only (plus torch, numpy, scikit-learn, matplotlib); knows nothing
about environments, search or configuration. Importing it imports nothing heavy.
"""
