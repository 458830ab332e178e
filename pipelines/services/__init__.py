"""Pipeline domain logic, the same for every transport, one module per concern: `runs` (start,
finish, fail), `steps` (one queued message), `ranges` and `range_reading` (a run over an
uploaded file), `uploads` and `upload_expiry`, `partials`, `pending`, `cleanup` (the scheduled
jobs), `dead_letters`; reads are in `pipelines.selectors`. Every step is replayable and every
message is sent on commit: docs/contract.md §3.2, docs/pipelines.md."""
