"""The local cloud's clock: time as Wait states, retry back-offs, delays and schedules see it."""

from __future__ import annotations

import threading
import time

from localcloud.core.hooks import Hooks


class ScaledClock:
    """Real seconds times `scale`: at scale 0 a wait of an hour takes a millisecond.

    What a scaled wait skips is added to `now()` and `wall()`, so the local cloud's time runs
    ahead of the system clock by every second it did not really wait.
    """

    def __init__(self, scale: float) -> None:
        if scale < 0:
            raise ValueError("time_scale must be >= 0")
        self.scale = scale
        self._skipped = 0.0  # nominal seconds waited beyond the real ones
        self._by_thread: dict[int, float] = {}  # what each thread's waits skipped
        self._lock = threading.Lock()

    def seconds(self, seconds: float) -> float:
        return max(0.0, float(seconds)) * self.scale

    def now(self) -> float:
        """Virtual time: real (monotonic) time plus every second a scaled wait skipped.

        Things that take nominal time, such as emulated Batch jobs, finish by this clock.
        Concurrent waits each add their skip, so with parallel branches it runs fast.
        """
        with self._lock:
            return time.monotonic() + self._skipped

    def wall(self) -> float:
        """Virtual epoch seconds: the system clock plus every second a scaled wait skipped."""
        with self._lock:
            return time.time() + self._skipped

    def _skip(self, nominal: float, waited: float) -> None:
        skipped = max(0.0, nominal - waited)
        thread = threading.get_ident()
        with self._lock:
            self._skipped += skipped
            self._by_thread[thread] = self._by_thread.get(thread, 0.0) + skipped

    def skipped_by(self, thread: int) -> float:
        """Seconds the waits of one thread (by `threading.get_ident()`) have skipped so far:
        what passed for that thread's own work, where `now()` also counts every other
        thread's waits (a Lambda timeout counts the driver's, not another execution's)."""
        with self._lock:
            return self._by_thread.get(thread, 0.0)

    def sleep(self, seconds: float) -> None:
        scaled = self.seconds(seconds)
        started = time.monotonic()
        # Even at scale 0, give other threads a turn, as a real wait would.
        time.sleep(scaled if scaled > 0 else 0.001)
        self._skip(max(0.0, float(seconds)), time.monotonic() - started)

    def wait(self, event: threading.Event, seconds: float) -> None:
        scaled = self.seconds(seconds)
        started = time.monotonic()
        interrupted = event.wait(scaled if scaled > 0 else 0.001)
        if not interrupted:
            self._skip(max(0.0, float(seconds)), time.monotonic() - started)


class ScaledTime:
    """Stands in for the `time` module inside moto code: only `sleep` runs on the clock."""

    def __init__(self, clock: ScaledClock) -> None:
        self._clock = clock

    def __getattr__(self, name: str) -> object:
        return getattr(time, name)

    def sleep(self, seconds: float) -> None:
        self._clock.sleep(seconds)


def lend_to_steward(clock: ScaledClock, hooks: Hooks) -> None:
    """Steward's functions read the time from `steward_common.clock`; give them this clock."""
    try:
        from steward_common import clock as steward_clock
    except ImportError:  # a template whose functions do not use Steward's layer
        return
    hooks.replace(steward_clock, "_source", clock.wall)


class ClockDriver:
    """Runs a scaled clock's time at 1/scale of real time by itself (`steward local up`).

    A clock's time otherwise passes at real speed, only skipping ahead where something waits
    (a Wait state, a retry's back-off), and timers never move it: at time_scale 0.01 an
    every-minute schedule would still fire once a real minute. The driver waits on the clock in
    short real ticks, each skipping its nominal length, so with nothing else waiting a minute
    passes in 60 x scale real seconds and timers (schedules, snapshot completions, Batch jobs)
    come due at that pace. At scale 1 there is nothing to drive; at scale 0 it would race, so
    time then moves only by waits, as in tests.
    """

    TICK_SECONDS = 0.05  # real seconds per tick

    def __init__(self, clock: ScaledClock) -> None:
        self._clock = clock
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def drives(self) -> bool:
        return 0 < self._clock.scale < 1

    def start(self) -> None:
        if not self.drives or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="localcloud-clock", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        nominal = self.TICK_SECONDS / self._clock.scale
        while not self._stopped.is_set():
            self._clock.wait(self._stopped, nominal)

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()
