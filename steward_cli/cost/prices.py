"""The published AWS prices `steward cost` charges: one region, one date, each with its source.

The table is apart from the arithmetic (`pricing`) so that a price change is a change here
alone, reviewed against the page each `Price` cites. When AWS changes a price, update its
`usd` and `per`, and `PRICES_AS_OF`: every report prints the date and the sources beside its
numbers, so a stale table shows.
"""

from __future__ import annotations

from dataclasses import dataclass

PRICES_AS_OF = "2026-11"
PRICES_REGION = "us-east-1"

_SFN = "https://aws.amazon.com/step-functions/pricing/"
_LAMBDA = "https://aws.amazon.com/lambda/pricing/"
_CLOUDWATCH = "https://aws.amazon.com/cloudwatch/pricing/"
_SQS = "https://aws.amazon.com/sqs/pricing/"
_DYNAMODB = "https://aws.amazon.com/dynamodb/pricing/on-demand/"


@dataclass(frozen=True)
class Price:
    usd: float
    per: str
    source: str


PRICES: dict[str, Price] = {
    "sfn_standard_transition": Price(
        0.025 / 1_000, "state transition, Standard workflow ($0.025 per 1,000)", _SFN
    ),
    "sfn_express_request": Price(1.00 / 1_000_000, "Express request ($1.00 per million)", _SFN),
    "sfn_express_gb_second": Price(
        0.00001667,
        "Express GB-second (first 1,000 GB-hours a month); duration rounded up to 100 ms, "
        "memory billed in 64 MB chunks",
        _SFN,
    ),
    "lambda_request": Price(0.20 / 1_000_000, "Lambda request ($0.20 per million)", _LAMBDA),
    "lambda_gb_second_arm64": Price(
        0.0000133334, "Lambda GB-second, arm64 (first 7.5 billion a month); 1 ms billing", _LAMBDA
    ),
    "lambda_gb_second_x86_64": Price(
        0.0000166667, "Lambda GB-second, x86_64 (first 6 billion a month); 1 ms billing", _LAMBDA
    ),
    "cloudwatch_put_metric_data_request": Price(
        0.01 / 1_000, "PutMetricData request ($0.01 per 1,000)", _CLOUDWATCH
    ),
    "logs_ingestion_gb": Price(
        0.50,
        "GB of CloudWatch Logs ingested (Standard class, Lambda logs' first tier)",
        _CLOUDWATCH,
    ),
    "sqs_request": Price(
        0.40 / 1_000_000,
        "SQS request, standard queue ($0.40 per million); each 64 KB chunk of a payload is a"
        " request",
        _SQS,
    ),
    "dynamodb_write_request_unit": Price(
        0.625 / 1_000_000,
        "DynamoDB on-demand write request unit ($0.625 per million); one per 1 KB written",
        _DYNAMODB,
    ),
    "dynamodb_read_request_unit": Price(
        0.125 / 1_000_000,
        "DynamoDB on-demand read request unit ($0.125 per million); one strongly consistent"
        " read of up to 4 KB",
        _DYNAMODB,
    ),
    "custom_metric_month": Price(
        0.30,
        "custom metric-month, first 10,000 metrics (the tier depends on the whole account)",
        _CLOUDWATCH,
    ),
}
