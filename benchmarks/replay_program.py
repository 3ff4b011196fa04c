"""The bare side of bench_plan.py, run by the same runner as __main__.py: registers the
graph plan_worker.REPLAY holds, at module level, and nothing else."""

import plan_worker

plan_worker.replay()
