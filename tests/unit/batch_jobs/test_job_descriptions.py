"""From descriptions to SubmitJob requests, and the genomics tools' commands from an input."""

from __future__ import annotations

import copy

import pytest

from batch_jobs.genomics_plan import plan_jobs
from batch_jobs.job_spec import InvalidJobSpecError, JobSpec, submit_request
from steward_common.errors import InvalidInputError
from tests.support.events import load_event


def test_a_full_description_becomes_the_submit_job_request() -> None:
    event = load_event("batch_jobs/submit_job.json")
    request = submit_request(JobSpec.model_validate(event["job"]), event["context"])
    assert request == {
        "jobName": "samtools-stats-NA12878",
        "jobQueue": "lowPriority-myenv",
        "jobDefinition": "samtools_stats-myenv:1",
        "containerOverrides": {
            "command": [
                "--bam_s3_path",
                "s3://steward-genomics-results/genomic-workflow/results/NA12878_states_1/bam/sorted.bam",
                "--working_dir",
                "/scratch",
            ],
            "environment": [{"name": "SAMTOOLS_THREADS", "value": "4"}],
            "resourceRequirements": [
                {"type": "VCPU", "value": "2"},
                {"type": "MEMORY", "value": "4096"},
            ],
        },
        "retryStrategy": {"attempts": 2},
        "timeout": {"attemptDurationSeconds": 3600},
        "tags": {"project": "genomics"},
    }


@pytest.mark.parametrize(
    ("vcpus", "sent"), [(8, "8"), (8.0, "8"), (0.25, "0.25"), (0.5, "0.5"), (16, "16")]
)
def test_resources_are_sent_as_batch_reads_them_whole_numbers_as_integers(
    vcpus: float, sent: str
) -> None:
    # "8.0" is refused for EC2 compute environments; Fargate takes 0.25 and 0.5 vCPUs.
    job = {
        **load_event("batch_jobs/submit_job.json")["job"],
        "resources": {"vcpus": vcpus, "memory": 2048},
    }
    request = submit_request(
        JobSpec.model_validate(job), load_event("batch_jobs/submit_job.json")["context"]
    )
    assert request["containerOverrides"]["resourceRequirements"] == [
        {"type": "VCPU", "value": sent},
        {"type": "MEMORY", "value": "2048"},
    ]


def test_every_missing_template_value_is_named_at_once() -> None:
    event = load_event("batch_jobs/submit_job.json")
    with pytest.raises(InvalidJobSpecError, match=r"\['resultsS3Path', 'workingDir'\]"):
        submit_request(JobSpec.model_validate(event["job"]), {"sampleId": "x"})


def test_command_and_template_together_are_refused() -> None:
    job = {**load_event("batch_jobs/submit_job.json")["job"], "command": ["true"]}
    with pytest.raises(InvalidJobSpecError, match="not both"):
        submit_request(JobSpec.model_validate(job), {})


def test_the_classic_input_plans_four_jobs_with_the_tools_arguments() -> None:
    jobs = plan_jobs(load_event("batch_jobs/genomics_test_input.json"))
    assert sorted(jobs) == ["isaac", "samtoolsStats", "snpEff", "strelka"]
    assert jobs["isaac"]["name"] == "isaac-NA12878_states_1"
    assert jobs["isaac"]["command"][:2] == [
        "--bam_s3_folder_path",
        "s3://steward-genomics-results/genomic-workflow/results/NA12878_states_1/bam/",
    ]
    assert "--cmd_args" not in jobs["isaac"]["command"]  # isaac has no cmdArgs in the input
    assert jobs["strelka"]["command"][-2:] == ["--cmd_args", "--exome"]
    assert jobs["snpEff"]["command"][-2:] == ["--cmd_args", "-t hg38"]
    assert jobs["samtoolsStats"]["queue"].endswith("lowPriority-myenv")


def test_a_tool_with_its_own_command_template_needs_no_code() -> None:
    workflow = load_event("batch_jobs/genomics_test_input.json")
    workflow["snpEff"]["commandTemplate"] = [
        "annotate",
        "--sample",
        "{sampleId}",
        "{snpEff.cmdArgs}",
    ]
    assert plan_jobs(workflow)["snpEff"]["command"] == [
        "annotate",
        "--sample",
        "NA12878_states_1",
        "-t hg38",
    ]


def test_a_workflow_input_missing_fields_names_them_all() -> None:
    workflow = copy.deepcopy(load_event("batch_jobs/genomics_test_input.json"))
    del workflow["fastq1S3Path"], workflow["strelka"]["jobQueue"], workflow["samtoolsStats"]
    with pytest.raises(InvalidInputError) as raised:
        plan_jobs(workflow)
    for field in ("fastq1S3Path", "strelka.jobQueue", "samtoolsStats"):
        assert field in str(raised.value)


def test_an_execution_of_the_poller_stays_under_the_history_quota_at_any_allowed_setting() -> None:
    # "Maximum execution history size: 25,000 events" (Step Functions quotas). A poll is
    # GetJobStatus (5 events: entered, scheduled, started, succeeded, exited), JobDone,
    # WaitBeforePolling and CountPoll (2 each): 11.
    from localcloud.template import load_yaml
    from tests.support.paths import TEMPLATE

    parameter = load_yaml(TEMPLATE)["Parameters"]["BatchPollsPerExecution"]
    overhead = 40  # start, submit, counting, hand-over, continuation, end
    for polls in (int(parameter["Default"]), int(parameter["MaxValue"])):
        assert polls * 11 + overhead < 25_000
