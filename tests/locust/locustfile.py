"""locustfile.py: the course project's Locust script, in its shape, for outbreak's
gateways behind the load balancer (scripts/stack up lb).

Each simulated user (FastHttpUser, waiting between(0.1, 0.9) s between tasks) loads
traffic.json once on start (the records are shared by all users, as the course
project's reader was), and each task pops a random record and POSTs it as the JSON
body to "/" with self.client.post("/", data=json.dumps(record)): exactly what the
gateway gets from Locust. A user stops (self.stop(True)) when no record is left; when
the last one has stopped, Locust quits, so a headless run ends once every record went.

  locust -f tests/locust/locustfile.py --headless -u 50 -r 10 -H http://127.0.0.1:8000 \
         --run-time 60s --csv out/locust

OUTBREAK_TRAFFIC names another records file (default examples/traffic.json beside this
tree).
"""
import json
import os
from random import randrange

import gevent
from locust import FastHttpUser, between, task

TRAFFIC = os.environ.get(
    "OUTBREAK_TRAFFIC",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "traffic.json"),
)


class Reader:
    """The records of traffic.json, loaded once, handed out in random order."""

    def __init__(self):
        self.records = []
        self.loaded = False

    def load(self):
        if self.loaded:
            return
        with open(TRAFFIC, encoding="utf-8") as f:
            self.records = json.load(f)
        self.loaded = True

    def pick_random(self):
        if not self.records:
            return None
        return self.records.pop(randrange(len(self.records)))


reader = Reader()


class TrafficUser(FastHttpUser):
    wait_time = between(0.1, 0.9)

    def on_start(self):
        reader.load()

    @task
    def send_record(self):
        record = reader.pick_random()
        if record is None:
            runner = self.environment.runner
            # the last user to run out ends the test (after this greenlet is gone)
            if runner is not None and runner.user_count <= 1:
                gevent.spawn_later(0.5, runner.quit)
            self.stop(True)
            return
        self.client.post("/", data=json.dumps(record))
