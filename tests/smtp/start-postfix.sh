#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# start-postfix.sh DIR [PORT] - start a private Postfix instance for the
# reinject tests: listening on 127.0.0.1:PORT only (default: a free port
# from 20000-59999), accepting mail for the test domains example.com,
# example.net and example.org into one Maildir, DIR/mail/inbox/ (virtual(8)
# delivery as nobody; each copy carries Delivered-To: <recipient> and
# X-Original-To, Return-Path: <sender>), refusing with 550 the
# recipients listed in DIR/conf/rcpt_access (refuse@example.com by
# default).  Everything lives under DIR: conf/ (main.cf, master.cf),
# queue/, data/, mail/ and maillog.  Prints the port on stdout.  Stop it
# with stop-postfix.sh DIR.  Needs root and the Debian postfix package
# (apt-get install postfix); talks to nobody but 127.0.0.1.
set -eu
dir=${1:?usage: start-postfix.sh DIR [PORT]}
port=${2:-}
command -v postfix >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin
command -v postfix >/dev/null || { echo "start-postfix: postfix is not installed" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "start-postfix: needs root (Postfix's master runs as root)" >&2; exit 2; }

port_free() { ! timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
if [ -z "$port" ]; then
	for _ in $(seq 1 50); do
		port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
		port_free "$port" && break
	done
fi
port_free "$port" || { echo "start-postfix: port $port is in use" >&2; exit 2; }

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
conf=$dir/conf
mkdir -p "$conf" "$dir/queue" "$dir/data" "$dir/mail"
# virtual(8) delivers as nobody: it must reach and write the mail tree
chmod 755 "$dir"
p=$dir
while [ "$p" != / ]; do p=$(dirname "$p"); chmod o+x "$p" 2>/dev/null || true; done
chown nobody:nogroup "$dir/mail"
chown postfix "$dir/data"
daemon_dir=$(postconf -dh daemon_directory)
shlib_dir=$(postconf -dh shlib_directory)
meta_dir=$(postconf -dh meta_directory)

[ -f "$conf/rcpt_access" ] || printf '/^refuse@example\\.com$/ 550 5.7.1 refused by the imcq test policy\n' > "$conf/rcpt_access"

cat > "$conf/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
command_directory = /usr/sbin
daemon_directory = $daemon_dir
shlib_directory = $shlib_dir
meta_directory = $meta_dir
mail_owner = postfix
setgid_group = postdrop
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
myhostname = imcq-test.localdomain
mydomain = localdomain
myorigin = \$myhostname
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
relay_domains =
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
local_header_rewrite_clients =
always_add_missing_headers = no
smtputf8_enable = no
biff = no
smtpd_banner = \$myhostname ESMTP imcq-test
smtpd_recipient_restrictions = check_recipient_access regexp:$conf/rcpt_access, permit_mynetworks, reject_unauth_destination
virtual_mailbox_domains = example.com, example.net, example.org
virtual_mailbox_base = $dir/mail
virtual_mailbox_maps = static:inbox/
virtual_uid_maps = static:$(id -u nobody)
virtual_gid_maps = static:$(id -g nobody)
virtual_minimum_uid = 100
virtual_mailbox_limit = 0
message_size_limit = 0
default_transport = error:no outbound mail from the imcq test server
relay_transport = error:no outbound mail from the imcq test server
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
CF

cat > "$conf/master.cf" <<CF
127.0.0.1:$port inet n - n - - smtpd
pickup    unix  n - n 60   1 pickup
cleanup   unix  n - n -    0 cleanup
qmgr      unix  n - n 300  1 qmgr
rewrite   unix  - - n -    - trivial-rewrite
bounce    unix  - - n -    0 bounce
defer     unix  - - n -    0 bounce
trace     unix  - - n -    0 bounce
verify    unix  - - n -    1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -    - proxymap
showq     unix  n - n -    - showq
error     unix  - - n -    - error
retry     unix  - - n -    - error
discard   unix  - - n -    - discard
virtual   unix  - n n -    - virtual
anvil     unix  - - n -    1 anvil
scache    unix  - - n -    1 scache
postlog   unix-dgram n - n - 1 postlogd
CF

postfix -c "$conf" check >/dev/null 2>"$dir/check.err" || true
timeout 60 postfix -c "$conf" start >"$dir/start.log" 2>&1 || {
	echo "start-postfix: postfix start failed:" >&2; cat "$dir/start.log" >&2; exit 1; }
for _ in $(seq 1 100); do
	if ! port_free "$port"; then echo "$port"; exit 0; fi
	sleep 0.1
done
echo "start-postfix: Postfix did not listen on 127.0.0.1:$port" >&2
cat "$dir/start.log" "$dir/maillog" >&2 2>/dev/null || true
timeout 30 postfix -c "$conf" stop >/dev/null 2>&1 || true
exit 1
