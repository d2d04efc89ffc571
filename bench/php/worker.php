<?php
// PHP gearman extension worker contender for bench/workers.py:
//   php worker.php HOST PORT JOBS
// Serves "bench" (the result is the workload) with GearmanWorker::work until
// JOBS jobs ran.  Prints {"jobs": N, "seconds": wall time, "cpu": process CPU time}.
[$_, $host, $port, $jobs] = $argv;
$jobs = (int)$jobs;
$done = 0;
$worker = new GearmanWorker();
$worker->addServer($host, (int)$port);
$worker->addFunction('bench', function (GearmanJob $job) use (&$done) {
    $done++;
    return $job->workload();
});

function cpu_seconds(): float {
    $u = getrusage();
    return $u['ru_utime.tv_sec'] + $u['ru_utime.tv_usec'] / 1e6 + $u['ru_stime.tv_sec'] + $u['ru_stime.tv_usec'] / 1e6;
}
$start = hrtime(true);
$cpu_start = cpu_seconds();
while ($done < $jobs) {
    if (!$worker->work()) {
        fwrite(STDERR, "work: " . $worker->error() . "\n");
        exit(1);
    }
}
$seconds = (hrtime(true) - $start) / 1e9;
echo json_encode(['jobs' => $done, 'seconds' => $seconds, 'cpu' => cpu_seconds() - $cpu_start]), "\n";
