"""Helpers the tests share (conftest files hold only fixtures):

- `paths`: the repository's folders and the account moto serves.
- `events`: the sample events of events/<key>/.
- `handlers`: a function's handler module and a Lambda context for it.
- `stacks`: the template on the local cloud with only some automations enabled.
- `taps`: reading what reaches a topic or queue.
- `x_apps`: the X apps and secrets of the bearer-token tests.
- `iam_report`: the template's role statements no test exercised.
"""
