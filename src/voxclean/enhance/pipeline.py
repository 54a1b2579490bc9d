"""A chain of enhancers that is itself an enhancer."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._typing import Audio
from ..config import Params
from ..errors import ChannelError, ParameterError, SampleRateError
from .base import Enhancer, check_channels

__all__ = ["Pipeline", "PipelineParams"]


@dataclasses.dataclass(frozen=True)
class PipelineParams(Params):
    """Parameters of a pipeline: the ordered stage names and their parameters."""

    stages: tuple[tuple[str, dict[str, Any]], ...] = ()


class Pipeline:
    """Run stages one after another, block by block.

    Parameters
    ----------
    stages : sequence of Enhancer
        At least one stage; all must share one ``sample_rate`` and agree on channels.

    Notes
    -----
    Block size: the least common multiple of the stages' block sizes; each stage
    is called ``block_size / stage.block_size`` times per block, so no latency is added.
    Latency: the sum of the stages' latencies.
    State: a tuple with one state per stage.
    """

    def __init__(self, stages: Sequence[Enhancer]) -> None:
        stages = list(stages)
        if not stages:
            raise ParameterError("stages=[] must hold at least one enhancer")
        rates = {s.sample_rate for s in stages}
        if len(rates) != 1:
            raise SampleRateError(f"all stages must share one sample_rate, got {sorted(rates)}")
        fixed = {s.channels for s in stages if s.channels is not None}
        if len(fixed) > 1:
            raise ChannelError(f"stages require different channel counts {sorted(fixed)}")
        self.stages = tuple(stages)
        self.sample_rate = stages[0].sample_rate
        self.channels = fixed.pop() if fixed else None
        self.block_size = math.lcm(*(s.block_size for s in stages))
        self.latency = sum(s.latency for s in stages)

    def init_state(self, n_channels: int) -> tuple[Any, ...]:
        """One fresh state per stage."""
        check_channels(self, n_channels)
        return tuple(s.init_state(n_channels) for s in self.stages)

    def process(self, block: Audio, state: tuple[Any, ...]) -> Audio:
        """Process ``[shape=(C, block_size)]`` through every stage in order."""
        x = block
        for stage, st in zip(self.stages, state):
            bs = stage.block_size
            if bs == x.shape[1]:
                x = stage.process(x, st)
            else:
                x = np.concatenate(
                    [stage.process(x[:, i : i + bs], st) for i in range(0, x.shape[1], bs)], axis=1
                )
        return x

    def params(self) -> PipelineParams:
        """Stage names and parameters, in order."""
        return PipelineParams(
            stages=tuple((type(s.params()).name or type(s).__name__, s.params().to_dict()) for s in self.stages)
        )
