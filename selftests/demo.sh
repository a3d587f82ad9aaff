#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make demo: a server host and a client host in two network namespaces
# joined by veth; the client sends messages of several sizes over IPv6 and
# then IPv4, the server echoes each one, both print what crossed. Then the
# client names the server ("server" resolves to both addresses), sends lines
# as messages of niceness 0 with a lifetime, and prints every event.
set -u

# iproute2, not a busybox applet of the same name
ip() { /usr/sbin/ip "$@"; }
tc() { /usr/sbin/tc "$@"; }

ip netns add server && ip netns add client
ip link add veth0 netns client type veth peer name veth0 netns server
ip -n client addr add 192.0.2.1/24 dev veth0
ip -n server addr add 192.0.2.2/24 dev veth0
ip -n client addr add 2001:db8::1/64 dev veth0 nodad
ip -n server addr add 2001:db8::2/64 dev veth0 nodad
for ns in client server; do
	ip -n $ns link set lo up
	ip -n $ns link set veth0 up
done

echo "== AF_POST is family $(cat /sys/module/af_post/parameters/family)"
echo "== server (2001:db8::2, 192.0.2.2) listens on port 7000 and echoes"
ip netns exec server postcat -l -6 -p 7000 -n 3 -e | sed 's/^/   server: /' &
sleep 1
echo "== client sends over IPv6"
ip netns exec client postcat -c 2001:db8::2 -p 7000 -s 0,1,100,16384,100000,1048576 -e |
	sed 's/^/   client: /'
echo "== client sends over IPv4"
ip netns exec client postcat -c 192.0.2.2 -p 7000 -s 5,50000,4194304 -e |
	sed 's/^/   client: /'
echo "== client: lines to the name \"server\" (both families raced), niceness 0, 5 s lifetime"
printf '2001:db8::2 server\n192.0.2.2 server\n' >/etc/hosts
echo 'multi on' >/etc/host.conf
echo 'hosts: files' >/etc/nsswitch.conf
printf 'first line\nsecond line\n' |
	ip netns exec client postcat -c server -p 7000 -N 0 -L 5000 -v |
	sed 's/^/   client: /'
wait
ip netns del client
ip netns del server
