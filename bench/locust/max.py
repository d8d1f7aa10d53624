"""max.py: Locust at full speed for bench/http_locust.sh: the course project's request
(FastHttpUser, self.client.post("/", data=json.dumps(record)) with a record of
traffic.json) without the wait between tasks, so that one Locust process sends as fast
as it can. OUTBREAK_TRAFFIC names the records file, OUTBREAK_BENCH_PATH the path ("/")."""
import json
import os
import random

from locust import FastHttpUser, constant, task

TRAFFIC = os.environ.get(
    "OUTBREAK_TRAFFIC",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "traffic.json"),
)
with open(TRAFFIC, encoding="utf-8") as f:
    RECORDS = [json.dumps(r) for r in json.load(f)]
PATH = os.environ.get("OUTBREAK_BENCH_PATH", "/")


class MaxUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def send_record(self):
        self.client.post(PATH, data=random.choice(RECORDS))
