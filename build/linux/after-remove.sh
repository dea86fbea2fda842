#!/bin/sh
# Paddock's .deb, after its files are removed (electron-builder's deb.afterRemove): its polkit
# action goes too. Root's record of fixes (/var/lib/paddock) stays, so that a fix can still be
# undone by hand from its journal.
set -e
rm -f /usr/share/polkit-1/actions/dev.paddock.privileged.policy
