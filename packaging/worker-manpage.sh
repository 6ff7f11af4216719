#!/bin/sh
# pipewright-worker(1) from `pipewright-worker help`: worker-manpage.sh WORKER VERSION OUT.gz
set -eu
worker=$1 version=$2 out=$3
{
  printf '.TH PIPEWRIGHT-WORKER 1 "" "Pipewright %s" "User Commands"\n' "$version"
  printf '.SH NAME\npipewright-worker \\- the compute process of Pipewright (training and prediction with libtorch)\n'
  printf '.SH DESCRIPTION\nRun by \\fBpipewright\\fR(1), locally or on a GPU host; it reads prepared shards and prints JSON-line events.\n.PP\n.nf\n'
  "$worker" help | sed -e 's/\\/\\e/g' -e "s/^\\./\\\\\\&./" -e "s/^'/\\\\\\&'/"
  printf '.fi\n.SH SEE ALSO\n.BR pipewright (1)\n'
} | gzip -9n > "$out"
