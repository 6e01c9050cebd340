"""Public Lean 4 corpora: sources and their schemas, loading, normalisation into one record,
filters, deduplication, contamination checks and the split (docs/data.md).

Tracing proofs into (state, tactic) pairs needs an environment, so it lives with the commands
(``qed.cli.tracing``); everything here is plain data work.
"""

from qed.data.corpora.record import CorpusRecord, Rejected, TacticStep
from qed.data.corpora.sources import CORPORA, Corpus, SchemaError, corpus

__all__ = ["CORPORA", "Corpus", "CorpusRecord", "Rejected", "SchemaError", "TacticStep", "corpus"]
