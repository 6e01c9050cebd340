"""Structured config of where searches run (``dist.*`` keys; defaults live here only).

``kind``: ``local`` (one process, ``qed.dist.local.LocalProver``) or ``ray``
(``qed.dist.ray.RayProver`` over a Ray cluster). The Ray keys: the cluster ``address``
(empty: start a private single-machine instance bound to 127.0.0.1), how many prover actors
per node, how many searches each runs at once and how many Lean processes each owns, the
resources each prover actor asks for, and whether the policy and value run in ONE shared
model actor (``model_actor``: for in-process models, ``policy=hf`` / ``value=ebm``; with
``policy=http`` every prover talks to the server itself). See docs/distributed.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ActorResources:
    num_cpus: float = 1.0
    memory_mb: int = 0  # 0: no memory reservation
    num_gpus: float = 0.0


@dataclass
class DistConfig:
    kind: str = "local"  # local | ray
    address: str = ""  # ray: "" = private local instance on 127.0.0.1; "auto" or host:port to join
    num_cpus: int = 0  # private instance only: CPUs it offers (0 = all of this machine)
    object_store_mb: int = 200  # private instance only
    provers_per_node: int = 1  # prover actors per alive node
    provers: int = 0  # >0: exactly this many prover actors (overrides provers_per_node)
    searches_per_prover: int = 4  # searches interleaved in one prover (their model calls batched)
    env_processes: int = 1  # Lean processes per prover (env.pool_size inside each actor)
    prover: ActorResources = field(default_factory=ActorResources)
    model_actor: bool = False  # host policy and value in ONE shared actor that batches all provers
    model: ActorResources = field(default_factory=lambda: ActorResources(num_cpus=1.0, num_gpus=0.0))
    max_attempts: int = 3  # tries per theorem when its prover is lost; then an infrastructure failure
    batch_wait_s: float = 0.002  # model actor: wait this long for more requests to batch
