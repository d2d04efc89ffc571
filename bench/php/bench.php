<?php
// PHP gearman extension contender for bench/run.py; same arguments as
// bench/c/gearman_bench.c (THREADS must be 1: PHP has no threads here).
//   php bench.php HOST PORT do|batch JOBS SIZE normal|high|low auto|explicit 1 BATCH
// do: GearmanClient::doBackground (doHigh/doLow) in a loop;
// batch: BATCH x addTaskBackground (High/Low) + runTasks.
// Prints {"jobs": N, "seconds": wall time of the submissions, "cpu": process CPU time}.
[$_, $host, $port, $mode, $jobs, $size, $priority, $unique, $threads, $batch] = $argv;
$jobs = (int)$jobs;
$batch = (int)$batch;
$explicit = $unique === 'explicit';
$payload = str_repeat('x', (int)$size);
$suffix = ['normal' => '', 'high' => 'High', 'low' => 'Low'][$priority];

$client = new GearmanClient();
$client->addServer($host, (int)$port);
$client->ping('x');  // connect before the clock starts

function cpu_seconds(): float {
    $u = getrusage();
    return $u['ru_utime.tv_sec'] + $u['ru_utime.tv_usec'] / 1e6 + $u['ru_stime.tv_sec'] + $u['ru_stime.tv_usec'] / 1e6;
}
$start = hrtime(true);
$cpu_start = cpu_seconds();
if ($mode === 'do') {
    $do = "do{$suffix}Background";
    for ($n = 0; $n < $jobs; $n++) {
        $client->$do('bench', $payload, $explicit ? "php-0-$n" : null);
        if ($client->returnCode() != GEARMAN_SUCCESS) {
            fwrite(STDERR, "doBackground: " . $client->error() . "\n");
            exit(1);
        }
    }
} else {
    $add = "addTask{$suffix}Background";
    for ($n = 0; $n < $jobs;) {
        $end = min($n + $batch, $jobs);
        for (; $n < $end; $n++) {
            $client->$add('bench', $payload, null, $explicit ? "php-0-$n" : null);
        }
        if (!$client->runTasks()) {
            fwrite(STDERR, "runTasks: " . $client->error() . "\n");
            exit(1);
        }
    }
}
$seconds = (hrtime(true) - $start) / 1e9;
echo json_encode(['jobs' => $jobs, 'seconds' => $seconds, 'cpu' => cpu_seconds() - $cpu_start]), "\n";
