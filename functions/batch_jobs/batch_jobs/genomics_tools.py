"""The genomics workflow's tools: each one's job name and command, as templates.

Placeholders name the workflow input's shared fields (`{sampleId}`) or a tool's own fields
(`{isaac.referenceS3Path}`). A tool object in the input may bring its own `commandTemplate`,
which replaces the default: adding or changing a tool is configuration, not code.
"""

from __future__ import annotations

from typing import TypedDict


class Tool(TypedDict):
    name: str  # the job's name
    args: list[str]  # the default command
    optional: list[list[str]]  # [flag, value]: appended when the value fills without a gap


BAM = "{resultsS3Path}/{sampleId}/bam/"
VCF = "{resultsS3Path}/{sampleId}/vcf/"

TOOLS: dict[str, Tool] = {
    "isaac": {
        "name": "isaac-{sampleId}",
        "args": [
            "--bam_s3_folder_path",
            BAM,
            "--fastq1_s3_path",
            "{fastq1S3Path}",
            "--fastq2_s3_path",
            "{fastq2S3Path}",
            "--reference_s3_path",
            "{isaac.referenceS3Path}",
            "--working_dir",
            "{workingDir}",
        ],
        "optional": [["--cmd_args", "{isaac.cmdArgs}"], ["--memory", "{isaac.memory}"]],
    },
    "samtoolsStats": {
        "name": "samtools_stats-{sampleId}",
        "args": [
            "--bam_s3_path",
            BAM + "sorted.bam",
            "--bam_stats_s3_path",
            "{resultsS3Path}/{sampleId}/stats/bam_stats.dat",
            "--working_dir",
            "{workingDir}",
        ],
        "optional": [["--cmd_args", "{samtoolsStats.cmdArgs}"]],
    },
    "strelka": {
        "name": "strelka-{sampleId}",
        "args": [
            "--bam_s3_path",
            BAM + "sorted.bam",
            "--bai_s3_path",
            BAM + "sorted.bam.bai",
            "--reference_s3_path",
            "{referenceS3Path}",
            "--vcf_s3_path",
            VCF,
            "--working_dir",
            "{workingDir}",
        ],
        "optional": [["--cmd_args", "{strelka.cmdArgs}"]],
    },
    "snpEff": {
        "name": "snpeff-{sampleId}",
        "args": [
            "--input_s3_path",
            VCF + "variants/variants.vcf.gz",
            "--output_s3_path",
            VCF + "variants/variants.ann.vcf",
            "--working_dir",
            "{workingDir}",
        ],
        "optional": [["--cmd_args", "{snpEff.cmdArgs}"]],
    },
}
