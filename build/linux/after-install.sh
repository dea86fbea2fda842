#!/bin/sh
# Paddock's .deb, after its files are unpacked (electron-builder's deb.afterInstall).
# The privileged side must be root's and writable by no one else, or it refuses to run as root
# (docs/security.md); polkit's action for it goes where polkit reads actions.
set -e
resources=/opt/Paddock/resources
program="$resources/paddock-privileged"
policy_dir=/usr/share/polkit-1/actions
chown root:root "$resources" "$program" "$resources/dev.paddock.privileged.policy"
chmod 0755 "$resources" "$program"
chmod 0644 "$resources/dev.paddock.privileged.policy"
if [ -d "$policy_dir" ]; then
  install -o root -g root -m 0644 "$resources/dev.paddock.privileged.policy" "$policy_dir/dev.paddock.privileged.policy"
fi
