"""The value model.

encoder (mean-pooled hidden states), energy heads, losses, scorer. Depends on qed.core only.
"""
