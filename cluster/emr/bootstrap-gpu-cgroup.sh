#!/bin/bash
# EMR 7.x bootstrap action for YARN GPU scheduling (run-job-flow-gpu.json): YARN isolates GPUs
# with cgroup v1 devices, which Amazon Linux 2023 does not mount; this mounts it where the
# yarn-site / container-executor classifications point (/spark-rapids-cgroup), as the EMR Release
# Guide's RAPIDS Accelerator page documents.
set -ex
sudo mkdir -p /spark-rapids-cgroup/devices
sudo mount -t cgroup -o devices cgroupv1-devices /spark-rapids-cgroup/devices
sudo chmod a+rwx -R /spark-rapids-cgroup
