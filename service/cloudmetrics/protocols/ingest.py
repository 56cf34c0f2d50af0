"""The one way a protocol writes: decoded samples through the shared checks
(metrics/validation.py) into `metrics.operations.ingest`.

Protocols answer a partly bad request differently (remote write with a 400, OTLP with
partial_success, line protocol with a partial write), but what is refused, and how the rest is
written, is decided here once: every sample that passes the checks is written, every other one
is counted with its reason (docs/adr/0025).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from cloudmetrics.metrics import operations
from cloudmetrics.metrics.metadata import Metadata, record_metadata
from cloudmetrics.metrics.models import IngestResult
from cloudmetrics.metrics.validation import Sample, check_samples
from cloudmetrics.resources import Resources

# A response naming every refused sample would be as large as the request.
MAX_REASONS = 10


@dataclass(frozen=True, slots=True)
class Decoded:
    """What a protocol's decoder made of a request."""

    samples: list[Sample] = field(default_factory=list[Sample])
    # Samples the decoder could not turn into points at all, counted per reason.
    refused: Counter[str] = field(default_factory=Counter[str])
    # Values that are not numbers to store (Prometheus's staleness marker, NaN, infinities):
    # dropped on purpose, never an error (docs/adr/0026).
    skipped: int = 0
    metadata: list[Metadata] = field(default_factory=list[Metadata])


@dataclass(frozen=True, slots=True)
class Outcome:
    result: IngestResult
    skipped: int
    refused: int
    # The most frequent reasons, with how many samples each refused.
    reasons: list[tuple[str, int]]
    # Which of the decoded samples the shared checks refused.
    refused_indices: list[int] = field(default_factory=list[int])

    def summary(self) -> str:
        return "; ".join(f"{reason} ({count}x)" for reason, count in self.reasons)


async def write_decoded(resources: Resources, project_id: int, decoded: Decoded) -> Outcome:
    checked = check_samples(decoded.samples, resources.settings.ingest)
    reasons = Counter(decoded.refused)
    for problem in checked.refused:
        sample = decoded.samples[problem.index]
        reasons[f"{sample.name[:80]}: {problem.reason}"] += 1
    if decoded.metadata:
        async with resources.connection() as connection:
            await record_metadata(connection, project_id, decoded.metadata)
    result = IngestResult(accepted=0, new_metrics=0)
    if checked.points:
        result = await operations.ingest(resources, project_id, checked.points)
    return Outcome(
        result=result,
        skipped=decoded.skipped,
        refused=sum(reasons.values()),
        reasons=reasons.most_common(MAX_REASONS),
        refused_indices=[problem.index for problem in checked.refused],
    )
