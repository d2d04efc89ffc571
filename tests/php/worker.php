<?php
// An independent foreground worker for the tests (PHP's gearman extension).
// php worker.php HOST PORT FUNCTION MODE COUNT
//   reverse   WORK_COMPLETE with the workload reversed
//   chunks    three WORK_DATA packets, a WORK_STATUS and a WARNING, then WORK_COMPLETE "done"
//   exception WORK_EXCEPTION "boom: <workload>", then WORK_FAIL
//   fail      WORK_FAIL
//   sleep     waits <workload> seconds, then WORK_COMPLETE "slept"
[$_, $host, $port, $function, $mode, $count] = $argv;
$worker = new GearmanWorker();
$worker->addServer($host, (int)$port);
$worker->addFunction($function, function (GearmanJob $job) use ($mode) {
    $workload = $job->workload();
    switch ($mode) {
        case 'reverse':
            return strrev($workload);
        case 'chunks':
            foreach (['a', 'bb', 'ccc'] as $chunk) {
                $job->sendData($chunk);
            }
            $job->sendStatus(1, 2);
            $job->sendWarning('careful');
            return 'done';
        case 'exception':
            $job->sendException("boom: $workload");
            $job->setReturn(GEARMAN_WORK_FAIL);
            return '';
        case 'fail':
            $job->setReturn(GEARMAN_WORK_FAIL);
            return '';
        case 'sleep':
            usleep((int)((float)$workload * 1e6));
            return 'slept';
    }
    return '';
});
// One work() call per job: a job that failed on purpose makes work() return
// false with WORK_FAIL or WORK_EXCEPTION, which still counts.
$handled = [GEARMAN_SUCCESS, GEARMAN_WORK_FAIL, GEARMAN_WORK_EXCEPTION];
for ($done = 0; $done < (int)$count; $done++) {
    $worker->work();
    if (!in_array($worker->returnCode(), $handled, true)) {
        fwrite(STDERR, "worker: " . $worker->returnCode() . " " . $worker->error() . "\n");
        exit(1);
    }
}
