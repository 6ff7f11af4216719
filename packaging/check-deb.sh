#!/bin/sh
# Builds the Debian package in BUILD_DIR (cpack -G DEB) and checks it: its contents (programs, codec module,
# desktop file, icon, metainfo, man pages, sample pipelines), Depends computed by dpkg-shlibdeps, the desktop
# file and the metainfo validated, and the programs run from the package extracted into a temporary root.
# Usage: packaging/check-deb.sh BUILD_DIR
set -eu
build=$(cd "$1" && pwd)
cd "$build"
rm -f pipewright_*.deb
cpack -G DEB > cpack.log 2>&1 || { cat cpack.log; exit 1; }
deb=$(ls pipewright_*_amd64.deb)
echo "package: $deb"
contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in ./usr/bin/pipewright ./usr/bin/pipewright-worker ./usr/lib/x86_64-linux-gnu/pipewright/libpipewright-imaging.so \
         ./usr/share/applications/io.github.pipewright.Pipewright.desktop \
         ./usr/share/icons/hicolor/scalable/apps/io.github.pipewright.Pipewright.svg \
         ./usr/share/metainfo/io.github.pipewright.Pipewright.metainfo.xml \
         ./usr/share/man/man1/pipewright.1.gz ./usr/share/man/man1/pipewright-worker.1.gz \
         ./usr/share/pipewright/pipelines/training.json ./usr/share/pipewright/pipelines/scoring.json \
         ./usr/share/doc/pipewright/copyright ./usr/share/doc/pipewright/changelog.gz; do
  echo "$contents" | grep -qx "$f" || { echo "missing from the package: $f"; exit 1; }
done
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libqt6core6 libqt6widgets6 libtorch1.13 libsqlite3-0; do
  echo "$depends" | grep -q "$lib" || { echo "Depends lacks $lib: $depends"; exit 1; }
done
recommends=$(dpkg-deb -f "$deb" Recommends)
echo "$recommends" | grep -q openssh-client || { echo "Recommends lacks openssh-client (compute targets): $recommends"; exit 1; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg -x "$deb" "$root"
desktop-file-validate "$root/usr/share/applications/io.github.pipewright.Pipewright.desktop"
appstreamcli validate --no-net "$root/usr/share/metainfo/io.github.pipewright.Pipewright.metainfo.xml"
zcat "$root/usr/share/man/man1/pipewright.1.gz" | grep -q '^\.SS pipeline' || { echo "the man page lacks the pipeline command"; exit 1; }
version=$(QT_QPA_PLATFORM=offscreen "$root/usr/bin/pipewright" --version)
echo "$version"
[ "$version" = "pipewright $(dpkg-deb -f "$deb" Version)" ] || { echo "unexpected version: $version"; exit 1; }
"$root/usr/bin/pipewright-worker" info | grep -q '"worker_version"' || { echo "pipewright-worker info failed"; exit 1; }
# The codec module is found next to the installed programs (../lib/pipewright), not in the build tree:
# ingest a few Fashion-MNIST images with the installed program alone.
env -u PIPEWRIGHT_IMAGING_MODULE QT_QPA_PLATFORM=offscreen "$root/usr/bin/pipewright" demo-data fashion-mnist \
  --out "$root/images" --split test --limit 20 > /dev/null
added=$(env -u PIPEWRIGHT_IMAGING_MODULE QT_QPA_PLATFORM=offscreen "$root/usr/bin/pipewright" ingest "$root/images" \
  --workspace "$root/ws" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["added"])')
[ "$added" = 20 ] || { echo "the installed program ingested $added of 20 images"; exit 1; }
echo "the package is complete and runs from $root"
