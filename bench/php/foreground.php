<?php
// PHP gearman extension foreground contender for bench/foreground.py.
//   php foreground.php HOST PORT do|batch JOBS SIZE BATCH
// do: GearmanClient::doNormal in a loop; batch: BATCH x addTask + runTasks.
// Every result must equal the workload (the worker echoes it).
// Prints {"jobs": N, "seconds": wall time, "cpu": process CPU time}.
[$_, $host, $port, $mode, $jobs, $size, $batch] = $argv;
$jobs = (int)$jobs;
$batch = (int)$batch;
$payload = str_repeat('x', (int)$size);
$bad = 0;

$client = new GearmanClient();
$client->addServer($host, (int)$port);
$client->ping('x');  // connect before the clock starts
$client->setCompleteCallback(function ($task) use ($payload, &$bad) {
    if ($task->data() !== $payload) $bad++;
});

function cpu_seconds(): float {
    $u = getrusage();
    return $u['ru_utime.tv_sec'] + $u['ru_utime.tv_usec'] / 1e6 + $u['ru_stime.tv_sec'] + $u['ru_stime.tv_usec'] / 1e6;
}
$start = hrtime(true);
$cpu_start = cpu_seconds();
if ($mode === 'do') {
    for ($n = 0; $n < $jobs; $n++) {
        $result = $client->doNormal('bench', $payload);
        if ($client->returnCode() != GEARMAN_SUCCESS) {
            fwrite(STDERR, "doNormal: " . $client->error() . "\n");
            exit(1);
        }
        if ($result !== $payload) $bad++;
    }
} else {
    for ($n = 0; $n < $jobs;) {
        $end = min($n + $batch, $jobs);
        for (; $n < $end; $n++) {
            $client->addTask('bench', $payload);
        }
        if (!$client->runTasks()) {
            fwrite(STDERR, "runTasks: " . $client->error() . "\n");
            exit(1);
        }
    }
}
$seconds = (hrtime(true) - $start) / 1e9;
$cpu = cpu_seconds() - $cpu_start;
if ($bad) {
    fwrite(STDERR, "$bad results differ from the workload\n");
    exit(1);
}
echo json_encode(['jobs' => $jobs, 'seconds' => $seconds, 'cpu' => $cpu]), "\n";
