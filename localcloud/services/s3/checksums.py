"""Checksums S3 computes itself are of the algorithm named: CRC32C is CRC32C, not CRC32.

S3 computes an object's checksum when a request names the algorithm without the value (a
CopyObject's x-amz-checksum-algorithm, "Indicates the algorithm that you want Amazon S3 to use
to create the checksum for the object.", S3 API Reference, CopyObject), and for a multipart
upload's parts. moto computes them with `moto.s3.utils.compute_checksum`, which without the
optional `crc32c` package silently answers CRC32 for CRC32C (and CRC32 for CRC64NVME without
awscrt): a copy made with ChecksumAlgorithm=CRC32C carried a ChecksumCRC32C that the same bytes
uploaded with that algorithm do not have, and that a client checking the bytes would reject.

Here CRC32C and CRC64NVME come from awscrt, which botocore itself computes them with (its CRT
extra, pinned in requirements/constraints.txt); every other algorithm is moto's.
"""

from __future__ import annotations

import base64
from importlib.util import find_spec

from localcloud.core import Hooks
from localcloud.errors import LocalCloudError


def _crt(algorithm: str, body: bytes) -> bytes | None:
    """The checksum's bytes (big-endian, as S3 encodes them), for the algorithms moto gets
    wrong without optional packages; None for the others."""
    from awscrt import checksums  # type: ignore[import-untyped]  # botocore's CRT, no stubs

    if algorithm == "CRC32C":
        return int(checksums.crc32c(body)).to_bytes(4, "big")
    if algorithm == "CRC64NVME":
        return int(checksums.crc64nvme(body)).to_bytes(8, "big")
    return None


def install_hooks(hooks: Hooks) -> None:
    from moto.s3 import models, responses, utils

    if find_spec("awscrt") is None:
        # Without it the checksums would be wrong again, silently: refuse at start instead.
        raise LocalCloudError(
            "awscrt is not installed: the local cloud computes S3's CRC32C and CRC64NVME "
            "checksums with it (`make bootstrap` installs it, pinned in constraints.txt)"
        )

    compute_checksum = hooks.original(utils, "compute_checksum")

    def compute_checksum_with_crt(body: bytes, algorithm: str, encode_base64: bool = True) -> bytes:
        digest = _crt(algorithm, bytes(body))
        if digest is None:
            result: bytes = compute_checksum(body, algorithm, encode_base64=encode_base64)
            return result
        return base64.b64encode(digest) if encode_base64 else digest

    # moto's modules import the function by name: each one's copy is replaced.
    for module in (utils, models, responses):
        hooks.replace(module, "compute_checksum", compute_checksum_with_crt)
