/*
 * corpus_products.c: the products of the shared corpora that keibi's
 * parsers claim, one row each (see corpus.h): the parser, how each
 * expectation format's keys map to keibi fields, and what is left out
 * and why.  A product folder without a row, or whose parser is not
 * registered, is reported as unclaimed.  Maps name only fields keibi
 * fills with the same meaning; every left-out sample or field carries the
 * reason printed by the harness.
 */
#include <stddef.h>

#include "corpus.h"

/* --- firewall ---------------------------------------------------------- */

static const struct corpus_map asa_metron[] = {
	{ "ip_src_addr", RF_SOURCE_IP, CMP_IP },
	{ "ip_dst_addr", RF_DESTINATION_IP, CMP_IP },
	{ "ip_src_port", RF_SOURCE_PORT, CMP_INT },
	{ "ip_dst_port", RF_DESTINATION_PORT, CMP_INT },
	{ "protocol", RF_NETWORK_TRANSPORT, CMP_TRANSPORT },
	{ "action", RF_EVENT_ACTION, CMP_EXACT },
	{ "ciscotag", RF_EVENT_CODE, CMP_SUFFIX },
	{ "syslog_host", RF_HOST_HOSTNAME, CMP_EXACT },
	{ "timestamp", RF_TIMESTAMP, CMP_TIME_EPOCH_MS },
	{ NULL, 0, 0 }
};

static const struct corpus_maps asa_maps = { .metron = asa_metron };

/*
 * Metron keeps the order of the text; Cisco documents that a "Built
 * outbound" message names the outside (responding) side first and that
 * an inbound ICMP connection comes from faddr, and keibi follows Cisco.
 */
#define ASA_OUTBOUND	"Built outbound: Metron keeps the text's order, " \
	"keibi puts the inside initiator first as Cisco documents"
#define ASA_ICMP_IN	"Built inbound ICMP: Metron takes laddr as the " \
	"source, keibi the foreign address the connection came from"

static const struct corpus_exclude asa_excludes[] = {
	{ "metron/asa_raw", 20, "ip_src_addr", ASA_ICMP_IN },
	{ "metron/asa_raw", 20, "ip_dst_addr", ASA_ICMP_IN },
	{ "metron/asa_raw", 54, "ip_src_addr", ASA_ICMP_IN },
	{ "metron/asa_raw", 54, "ip_dst_addr", ASA_ICMP_IN },
	{ "metron/asa_raw", 67, "ip_src_addr", ASA_ICMP_IN },
	{ "metron/asa_raw", 67, "ip_dst_addr", ASA_ICMP_IN },
	{ "metron/asa_raw", 88, "ip_src_addr", ASA_ICMP_IN },
	{ "metron/asa_raw", 88, "ip_dst_addr", ASA_ICMP_IN },
	{ "metron/asa_raw", 92, "ip_src_addr", ASA_ICMP_IN },
	{ "metron/asa_raw", 92, "ip_dst_addr", ASA_ICMP_IN },
	{ "metron/asa_raw", 89, "ip_src_addr", ASA_OUTBOUND },
	{ "metron/asa_raw", 89, "ip_dst_addr", ASA_OUTBOUND },
	{ "metron/asa_raw", 89, "ip_src_port", ASA_OUTBOUND },
	{ "metron/asa_raw", 89, "ip_dst_port", ASA_OUTBOUND },
	{ NULL, 0, NULL, NULL }
};

static const struct corpus_maps fortigate_maps = {
	.crowdsec = (const struct corpus_map[]){
		{ "meta:source_ip", RF_SOURCE_IP, CMP_IP },
		{ "meta:target_user", RF_USER_NAME, CMP_ABSENT },
		{ "meta:action", RF_EVENT_ACTION, CMP_EXACT },
		{ "meta:reason", RF_EVENT_REASON, CMP_EXACT },
		{ NULL, 0, 0 }
	},
	.wengine = (const struct corpus_map[]){
		{ "\\@timestamp", RF_TIMESTAMP, CMP_TIME },
		{ "source.ip", RF_SOURCE_IP, CMP_IP },
		{ "source.port", RF_SOURCE_PORT, CMP_INT },
		{ "destination.ip", RF_DESTINATION_IP, CMP_IP },
		{ "destination.port", RF_DESTINATION_PORT, CMP_INT },
		{ "network.transport", RF_NETWORK_TRANSPORT, CMP_TRANSPORT },
		{ "network.protocol", RF_NETWORK_PROTOCOL, CMP_EXACT },
		{ "source.user.name", RF_USER_NAME, CMP_EXACT },
		{ "event.action", RF_EVENT_ACTION, CMP_VERDICT },
		{ "event.code", RF_EVENT_CODE, CMP_EXACT },
		{ "observer.name", RF_HOST_HOSTNAME, CMP_EXACT },
		{ "observer.ingress.interface.name",
		    RF_OBSERVER_INGRESS_INTERFACE, CMP_EXACT },
		{ "observer.egress.interface.name",
		    RF_OBSERVER_EGRESS_INTERFACE, CMP_EXACT },
		{ "rule.id", RF_RULE_ID, CMP_INT },
		{ "url.domain", RF_URL_DOMAIN, CMP_EXACT },
		{ "url.original", RF_URL_ORIGINAL, CMP_EXACT },
		{ "source.bytes", RF_SOURCE_BYTES, CMP_INT },
		{ "destination.bytes", RF_DESTINATION_BYTES, CMP_INT },
		{ NULL, 0, 0 }
	},
};

static const struct corpus_maps paloalto_maps = {
	.crowdsec = (const struct corpus_map[]){
		{ "src_ip", RF_SOURCE_IP, CMP_IP },
		{ "dst_ip", RF_DESTINATION_IP, CMP_IP },
		{ "src_port", RF_SOURCE_PORT, CMP_INT },
		{ "dst_port", RF_DESTINATION_PORT, CMP_INT },
		{ "ip_proto", RF_NETWORK_TRANSPORT, CMP_TRANSPORT },
		{ "action", RF_EVENT_ACTION, CMP_EXACT },
		{ "rule", RF_RULE_NAME, CMP_EXACT },
		{ "app", RF_NETWORK_APPLICATION, CMP_EXACT },
		{ "ingress_int", RF_OBSERVER_INGRESS_INTERFACE, CMP_EXACT },
		{ "egress_int", RF_OBSERVER_EGRESS_INTERFACE, CMP_EXACT },
		{ "threat_id", RF_EVENT_REASON, CMP_EXACT },
		{ "log_subtype", RF_EVENT_CODE, CMP_EXACT },
		{ "syslog_hostname", RF_HOST_HOSTNAME, CMP_EXACT },
		{ "syslog_timestamp", RF_TIMESTAMP, CMP_TIME },
		{ NULL, 0, 0 }
	},
};

/* Upstream anonymised these PAN-OS lines past what PAN-OS writes. */
#define PAN_ANON	"anonymised upstream: \"May 00 00:00:00\" and " \
	"\"2020/00/00\" are not dates; keibi calls the record malformed"

static const struct corpus_exclude paloalto_excludes[] = {
	{ "wazuh/paloalto.ini", 58, NULL, PAN_ANON },
	{ "wazuh/paloalto.ini", 64, NULL, PAN_ANON },
	{ "wazuh/paloalto.ini", 70, NULL, PAN_ANON },
	{ "wazuh/paloalto.ini", 71, NULL, PAN_ANON },
	{ NULL, 0, NULL, NULL }
};

static const struct corpus_map pfsense_crowdsec[] = {
	{ "src_ip", RF_SOURCE_IP, CMP_IP },
	{ "dst_ip", RF_DESTINATION_IP, CMP_IP },
	{ "src_port", RF_SOURCE_PORT, CMP_INT },
	{ "dst_port", RF_DESTINATION_PORT, CMP_INT },
	{ "ip4_proto", RF_NETWORK_TRANSPORT, CMP_TRANSPORT },
	{ "ip6_proto", RF_NETWORK_TRANSPORT, CMP_TRANSPORT },
	{ "action", RF_EVENT_ACTION, CMP_EXACT },
	{ "reason", RF_EVENT_REASON, CMP_EXACT },
	{ "rule", RF_RULE_NAME, CMP_EXACT },
	{ "tracker", RF_RULE_ID, CMP_EXACT },
	{ "iface", RF_OBSERVER_INGRESS_INTERFACE, CMP_IFACE },
	{ "timestamp", RF_TIMESTAMP, CMP_TIME },
	{ "timestamp8601", RF_TIMESTAMP, CMP_TIME },
	{ "program", RF_PROCESS_NAME, CMP_EXACT },
	{ "pid", RF_PROCESS_PID, CMP_EXACT },
	{ "message", RF_MESSAGE, CMP_EXACT },
	{ NULL, 0, 0 }
};

static const struct corpus_maps pfsense_maps = {
	.crowdsec = pfsense_crowdsec
};

static const struct corpus_maps mikrotik_maps = {
	.crowdsec = (const struct corpus_map[]){
		{ "source_ip", RF_SOURCE_IP, CMP_IP },
		{ "dst_ip", RF_DESTINATION_IP, CMP_IP },
		{ "src_port", RF_SOURCE_PORT, CMP_INT },
		{ "dst_port", RF_DESTINATION_PORT, CMP_INT },
		{ "proto", RF_NETWORK_TRANSPORT, CMP_TRANSPORT },
		{ "if_in", RF_OBSERVER_INGRESS_INTERFACE, CMP_ABSENT },
		{ "if_out", RF_OBSERVER_EGRESS_INTERFACE, CMP_ABSENT },
		{ "tag", RF_RULE_NAME, CMP_EXACT },
		{ "timestamp", RF_TIMESTAMP, CMP_TIME },
		{ "invalid_user", RF_USER_NAME, CMP_EXACT },
		{ "meta:user", RF_USER_NAME, CMP_EXACT },
		{ NULL, 0, 0 }
	},
	.failjson = (const struct corpus_map[]){
		{ "host", RF_SOURCE_IP, CMP_IP },
		{ "user", RF_USER_NAME, CMP_EXACT },
		{ "time", RF_TIMESTAMP, CMP_TIME_LOCAL },
		{ NULL, 0, 0 }
	},
};

static const struct corpus_maps unifi_maps = {
	.crowdsec = (const struct corpus_map[]){
		/* iptables-logs and sshd-logs on the gateway's lines */
		{ "src_ip", RF_SOURCE_IP, CMP_IP },
		{ "dst_ip", RF_DESTINATION_IP, CMP_IP },
		{ "src_port", RF_SOURCE_PORT, CMP_INT },
		{ "dst_port", RF_DESTINATION_PORT, CMP_INT },
		{ "proto", RF_NETWORK_TRANSPORT, CMP_TRANSPORT },
		{ "action", RF_EVENT_ACTION, CMP_VERDICT },
		{ "rule_id", RF_RULE_ID, CMP_EXACT },
		{ "int_eth", RF_OBSERVER_INGRESS_INTERFACE, CMP_EXACT },
		{ "timestamp", RF_TIMESTAMP, CMP_TIME },
		{ "sshd_client_ip", RF_SOURCE_IP, CMP_IP },
		{ "sshd_invalid_user", RF_USER_NAME, CMP_EXACT },
		{ "pid", RF_PROCESS_PID, CMP_EXACT },
		{ "hostname", RF_HOST_HOSTNAME, CMP_EXACT },
		/* unifi-cef */
		{ "meta:source_ip", RF_SOURCE_IP, CMP_IP },
		{ "meta:source_port", RF_SOURCE_PORT, CMP_INT },
		{ "meta:destination_ip", RF_DESTINATION_IP, CMP_IP },
		{ "meta:destination_port", RF_DESTINATION_PORT, CMP_INT },
		{ "meta:protocol", RF_NETWORK_TRANSPORT, CMP_TRANSPORT },
		{ "meta:action", RF_EVENT_ACTION, CMP_EXACT },
		{ "meta:application", RF_NETWORK_APPLICATION, CMP_EXACT },
		{ "meta:ips_signature", RF_RULE_NAME, CMP_EXACT },
		{ "meta:ips_signature_id", RF_RULE_ID, CMP_EXACT },
		{ "meta:device_interface", RF_OBSERVER_INGRESS_INTERFACE,
		    CMP_EXACT },
		{ "meta:admin_user", RF_USER_NAME, CMP_EXACT },
		{ NULL, 0, 0 }
	},
};

#define UNIFI_UTC	"keibi takes the event's own UNIFIutcTime (an instant " \
	"with its year) over the relay's year-less local syslog time"

static const struct corpus_exclude unifi_excludes[] = {
	{ "crowdsec/cef-logs", 4, "timestamp", UNIFI_UTC },
	{ "crowdsec/unifi-cef", 3, "timestamp", UNIFI_UTC },
	{ NULL, 0, NULL, NULL }
};

static const struct corpus_maps sonicwall_maps = {
	.wengine = (const struct corpus_map[]){
		{ "source.ip", RF_SOURCE_IP, CMP_IP },
		{ "source.port", RF_SOURCE_PORT, CMP_INT },
		{ "host.hostname", RF_HOST_HOSTNAME, CMP_EXACT },
		{ "observer.ingress.interface.name",
		    RF_OBSERVER_INGRESS_INTERFACE, CMP_EXACT },
		{ "event.code", RF_EVENT_CODE, CMP_INT },
		{ NULL, 0, 0 }
	},
};

static const struct corpus_map sophos_wengine[] = {
	{ "\\@timestamp", RF_TIMESTAMP, CMP_TIME_WALL },
	{ "source.ip", RF_SOURCE_IP, CMP_ABSENT },
	{ "source.port", RF_SOURCE_PORT, CMP_ABSENT },
	{ "destination.ip", RF_DESTINATION_IP, CMP_ABSENT },
	{ "destination.port", RF_DESTINATION_PORT, CMP_ABSENT },
	{ "network.transport", RF_NETWORK_TRANSPORT, CMP_TRANSPORT },
	{ "event.action", RF_EVENT_ACTION, CMP_NOCASE },
	{ "event.code", RF_EVENT_CODE, CMP_INT },
	{ "rule.id", RF_RULE_ID, CMP_INT },
	{ "rule.name", RF_RULE_NAME, CMP_EXACT },
	{ "source.user.name", RF_USER_NAME, CMP_EXACT },
	{ "url.original", RF_URL_ORIGINAL, CMP_EXACT },
	{ "url.domain", RF_URL_DOMAIN, CMP_EXACT },
	{ "user_agent.original", RF_USER_AGENT_ORIGINAL, CMP_EXACT },
	{ "http.response.status_code", RF_HTTP_RESPONSE_STATUS_CODE,
	    CMP_INT },
	{ "source.bytes", RF_SOURCE_BYTES, CMP_INT },
	{ "destination.bytes", RF_DESTINATION_BYTES, CMP_INT },
	{ "source.user.email", RF_EMAIL_FROM_ADDRESS, CMP_EXACT },
	{ "destination.user.email", RF_EMAIL_TO_ADDRESS, CMP_EXACT },
	{ NULL, 0, 0 }
};

static const struct corpus_maps sophos_maps = { .wengine = sophos_wengine };

static const struct corpus_exclude sophos_proxy_excludes[] = {
	{ "wazuh-engine/cfilter_input.txt", 1, "http.response.status_code",
	    "upstream expects 304, but the line says httpresponsecode=\"\"" },
	{ NULL, 0, NULL, NULL }
};

/* --- firewall: netfilter (the iptables parser) ------------------------- */

static const struct corpus_map iptables_crowdsec[] = {
	{ "src_ip", RF_SOURCE_IP, CMP_IP },
	{ "dst_ip", RF_DESTINATION_IP, CMP_IP },
	{ "src_port", RF_SOURCE_PORT, CMP_EXACT },
	{ "dst_port", RF_DESTINATION_PORT, CMP_EXACT },
	{ "proto", RF_NETWORK_TRANSPORT, CMP_TRANSPORT },
	{ "action", RF_EVENT_ACTION, CMP_VERDICT },
	{ "timestamp", RF_TIMESTAMP, CMP_TIME },
	{ "program", RF_PROCESS_NAME, CMP_EXACT },
	{ "message", RF_MESSAGE, CMP_EXACT },
	{ "int_eth", RF_OBSERVER_INGRESS_INTERFACE, CMP_EXACT },
	{ NULL, 0, 0 }
};

/* Proxmox: int_eth is the chain's zone there, iface is IN=. */
static const struct corpus_map iptables_proxmox[] = {
	{ "src_ip", RF_SOURCE_IP, CMP_IP },
	{ "dst_ip", RF_DESTINATION_IP, CMP_IP },
	{ "src_port", RF_SOURCE_PORT, CMP_EXACT },
	{ "dst_port", RF_DESTINATION_PORT, CMP_EXACT },
	{ "proto", RF_NETWORK_TRANSPORT, CMP_TRANSPORT },
	{ "action", RF_EVENT_ACTION, CMP_VERDICT },
	{ "logdate", RF_TIMESTAMP, CMP_TIME },
	{ "program", RF_PROCESS_NAME, CMP_EXACT },
	{ "message", RF_MESSAGE, CMP_EXACT },
	{ "iface", RF_OBSERVER_INGRESS_INTERFACE, CMP_EXACT },
	{ NULL, 0, 0 }
};

static const struct corpus_maps iptables_maps = {
	.crowdsec = iptables_crowdsec,
	.elastic = (const struct corpus_map[]){
		{ "@timestamp", RF_TIMESTAMP, CMP_TIME },
		{ "source.ip", RF_SOURCE_IP, CMP_IP },
		{ "source.port", RF_SOURCE_PORT, CMP_INT },
		{ "destination.ip", RF_DESTINATION_IP, CMP_IP },
		{ "destination.port", RF_DESTINATION_PORT, CMP_INT },
		{ "network.transport", RF_NETWORK_TRANSPORT, CMP_TRANSPORT },
		{ "event.action", RF_EVENT_ACTION, CMP_VERDICT },
		{ "observer.name", RF_HOST_HOSTNAME, CMP_EXACT },
		{ "iptables.input_device", RF_OBSERVER_INGRESS_INTERFACE,
		    CMP_NONEMPTY },
		{ "iptables.output_device", RF_OBSERVER_EGRESS_INTERFACE,
		    CMP_NONEMPTY },
		{ NULL, 0, 0 }
	},
};

static const struct corpus_override iptables_overrides[] = {
	{ "crowdsec/proxmox-iptables-logs", CF_NEG_POLICY, iptables_proxmox,
	    NULL, "upstream's Success == false marks ACCEPT, outbound and "
	    "verdict-less lines its parser drops by policy; keibi keeps them "
	    "as events, so only its positive lines are classified" },
	{ "elastic-integrations", 0, NULL, NULL,
	    "rule.name/rule.id are EdgeOS-specific splits of the prefix and "
	    "not compared; geo, MAC and community_id are enrichment" },
	{ NULL, 0, NULL, NULL, NULL }
};

static const struct corpus_override firewalld_overrides[] = {
	{ "wazuh/firewalld.ini", CF_NOT_EVENTS, NULL, NULL,
	    "firewalld.ini holds firewalld daemon errors, not netfilter "
	    "lines: none may be an event" },
	{ NULL, 0, NULL, NULL, NULL }
};

/* --- proxy ------------------------------------------------------------- */

static const struct corpus_maps squid_maps = {
	.failjson = (const struct corpus_map[]){
		{ "host", RF_SOURCE_IP, CMP_IP },
		{ "time", RF_TIMESTAMP, CMP_TIME_LOCAL },
		{ NULL, 0, 0 }
	},
	.metron = (const struct corpus_map[]){
		{ "ip_src_addr", RF_SOURCE_IP, CMP_IP },
		{ "ip_dst_addr", RF_DESTINATION_IP, CMP_IP },
		{ "url", RF_URL_ORIGINAL, CMP_EXACT },
		{ "full_hostname", RF_URL_DOMAIN, CMP_EXACT },
		{ "method", RF_HTTP_REQUEST_METHOD, CMP_EXACT },
		{ "code", RF_HTTP_RESPONSE_STATUS_CODE, CMP_INT },
		{ "bytes", RF_DESTINATION_BYTES, CMP_INT },
		{ "action", RF_SQUID_RESULT_CODE, CMP_EXACT },
		{ "elapsed", RF_EVENT_DURATION, CMP_MS_NS },
		{ "timestamp", RF_TIMESTAMP, CMP_TIME_EPOCH_MS },
		{ NULL, 0, 0 }
	},
	.elastic = (const struct corpus_map[]){
		{ "source.ip", RF_SOURCE_IP, CMP_IP },
		{ "destination.ip", RF_DESTINATION_IP, CMP_IP },
		{ "url.original", RF_URL_ORIGINAL, CMP_EXACT },
		{ "url.domain", RF_URL_DOMAIN, CMP_EXACT },
		{ "url.path", RF_URL_PATH, CMP_EXACT },
		{ "url.scheme", RF_URL_SCHEME, CMP_EXACT },
		{ "http.request.method", RF_HTTP_REQUEST_METHOD, CMP_EXACT },
		{ "http.response.status_code", RF_HTTP_RESPONSE_STATUS_CODE,
		    CMP_INT },
		{ "http.response.bytes", RF_DESTINATION_BYTES, CMP_INT },
		{ "event.outcome", RF_EVENT_OUTCOME, CMP_EXACT },
		{ "observer.name", RF_HOST_HOSTNAME, CMP_EXACT },
		{ "process.pid", RF_PROCESS_PID, CMP_INT },
		{ "squid.request_status", RF_SQUID_RESULT_CODE, CMP_EXACT },
		{ "squid.hierarchy_status", RF_SQUID_HIERARCHY, CMP_EXACT },
		{ NULL, 0, 0 }
	},
};

static const struct corpus_override squid_overrides[] = {
	{ "elastic-integrations/test-pfsense-squid.log", 0, NULL, "-04:00",
	    "@timestamp is not compared (the sample's syslog time and "
	    "Squid's own epoch time disagree; keibi keeps Squid's), nor "
	    "process.name (pfSense writes \"(squid-1)\", kept as written)" },
	{ NULL, 0, NULL, NULL, NULL }
};

/* --- mail -------------------------------------------------------------- */

static const struct corpus_maps postfix_maps = {
	.failjson = (const struct corpus_map[]){
		{ "host", RF_SOURCE_IP, CMP_IP },
		{ "user", RF_USER_NAME, CMP_EXACT },
		{ "time", RF_TIMESTAMP, CMP_TIME_LOCAL },
		{ NULL, 0, 0 }
	},
	.crowdsec = (const struct corpus_map[]){
		{ "remote_addr", RF_SOURCE_IP, CMP_IP },
		{ "remote_host", RF_SOURCE_DOMAIN, CMP_DOMAIN },
		{ "program", RF_PROCESS_NAME, CMP_EXACT },
		{ "pid", RF_PROCESS_PID, CMP_EXACT },
		{ "action", RF_EVENT_ACTION, CMP_EXACT },
		{ "timestamp", RF_TIMESTAMP, CMP_TIME },
		{ "timestamp8601", RF_TIMESTAMP, CMP_TIME },
		{ "message", RF_MESSAGE, CMP_EXACT },
		{ NULL, 0, 0 }
	},
	/*
	 * postfix-grok-patterns captures; "kv:" keys are taken from inside
	 * postfix_keyvalue_data ("to=<a@b>, relay=..., status=sent").
	 */
	.grok = (const struct corpus_map[]){
		{ "postfix_queueid", RF_EMAIL_LOCAL_ID, CMP_QUEUEID },
		{ "postfix_client_ip", RF_SOURCE_IP, CMP_IP },
		{ "postfix_client_hostname", RF_SOURCE_DOMAIN, CMP_DOMAIN },
		{ "postfix_from", RF_EMAIL_FROM_ADDRESS, CMP_EXACT },
		{ "postfix_status", RF_POSTFIX_STATUS, CMP_EXACT },
		{ "kv:from", RF_EMAIL_FROM_ADDRESS, CMP_EXACT },
		{ "kv:to", RF_EMAIL_TO_ADDRESS, CMP_EXACT },
		{ "kv:relay", RF_POSTFIX_RELAY, CMP_EXACT },
		{ "kv:dsn", RF_POSTFIX_DSN, CMP_EXACT },
		{ "kv:status", RF_POSTFIX_STATUS, CMP_EXACT },
		{ NULL, 0, 0 }
	},
};

#define GROK_NOT_EVENT(f, why) \
	{ "postfix-grok-patterns/" f, 0, NULL, "not an event: " why }

static const struct corpus_exclude postfix_excludes[] = {
	GROK_NOT_EVENT("anvil_*", "anvil's connection-rate statistics"),
	GROK_NOT_EVENT("bounce_*", "a bounce notice; its queue id's own "
	    "lines carry the delivery"),
	GROK_NOT_EVENT("dnsblog_*", "a DNSBL lookup; postscreen logs the "
	    "verdict"),
	GROK_NOT_EVENT("master_*", "daemon start and stop"),
	GROK_NOT_EVENT("postscreen_0001.yaml", "a cache clean-up"),
	GROK_NOT_EVENT("postsuper_*", "the operator's queue maintenance "
	    "(hold, release, requeue, delete)"),
	GROK_NOT_EVENT("qmgr_0006.yaml", "a retry note"),
	GROK_NOT_EVENT("relay_0001.yaml", "a relay name alone, not a line"),
	GROK_NOT_EVENT("scache_*", "connection-cache statistics"),
	GROK_NOT_EVENT("verify_*", "address-verification cache clean-up"),
	GROK_NOT_EVENT("sendmail_0001.yaml", "a local submission error "
	    "without a message or peer"),
	GROK_NOT_EVENT("smtp_0003.yaml", "a TLS handshake"),
	GROK_NOT_EVENT("smtp_0004.yaml", "a TLS handshake"),
	GROK_NOT_EVENT("smtp_0015.yaml", "a TLS handshake"),
	GROK_NOT_EVENT("smtp_0016.yaml", "a TLS handshake"),
	GROK_NOT_EVENT("smtp_0035.yaml", "a TLS handshake"),
	GROK_NOT_EVENT("smtp_0036.yaml", "a TLS handshake"),
	GROK_NOT_EVENT("smtpd_0010.yaml", "a TLS handshake"),
	GROK_NOT_EVENT("smtpd_0037.yaml", "a TLS handshake"),
	GROK_NOT_EVENT("smtp_0027.yaml", "a peer certificate check"),
	GROK_NOT_EVENT("smtp_0028.yaml", "a peer certificate check"),
	GROK_NOT_EVENT("smtp_0029.yaml", "a TLS transport error"),
	GROK_NOT_EVENT("smtp_0030.yaml", "a TLS transport error"),
	GROK_NOT_EVENT("smtp_0031.yaml", "a PIX workaround note"),
	GROK_NOT_EVENT("smtp_0032.yaml", "outbound SASL failure: not read "
	    "by the postfix parser yet"),
	GROK_NOT_EVENT("smtpd_0020.yaml", "before-queue proxy verdict: not "
	    "read by the postfix parser yet"),
	GROK_NOT_EVENT("smtpd_0021.yaml", "before-queue proxy verdict: not "
	    "read by the postfix parser yet"),
	GROK_NOT_EVENT("smtpd_0022.yaml", "before-queue proxy verdict: not "
	    "read by the postfix parser yet"),
	GROK_NOT_EVENT("smtpd_0039.yaml", "an EHLO keyword note"),
	{ NULL, 0, NULL, NULL }
};

static const struct corpus_override postfix_overrides[] = {
	{ "postfix-grok-patterns", 0, NULL, NULL,
	    "relay host/ip/port and TLS captures have no keibi field" },
	{ NULL, 0, NULL, NULL, NULL }
};

/* --- shared maps ------------------------------------------------------- */

/* fail2ban: the offending address, the user, the local time. */
static const struct corpus_map fail2ban_map[] = {
	{ "host", RF_SOURCE_IP, CMP_IP },
	{ "user", RF_USER_NAME, CMP_EXACT },
	{ "time", RF_TIMESTAMP, CMP_TIME_LOCAL },
	{ NULL, 0, 0 }
};

/* crowdsec's HTTP parsers and their normalised Meta. */
static const struct corpus_map http_crowdsec[] = {
	{ "meta:source_ip", RF_SOURCE_IP, CMP_IP },
	{ "meta:http_verb", RF_HTTP_REQUEST_METHOD, CMP_EXACT },
	{ "meta:http_status", RF_HTTP_RESPONSE_STATUS_CODE, CMP_INT },
	{ "meta:http_path", RF_URL_ORIGINAL, CMP_EXACT },
	{ "meta:http_user_agent", RF_USER_AGENT_ORIGINAL, CMP_ABSENT },
	{ "meta:target_fqdn", RF_URL_DOMAIN, CMP_EXACT },
	{ "remote_addr", RF_SOURCE_IP, CMP_IP },
	{ "client_ip", RF_SOURCE_IP, CMP_IP },
	{ "client_port", RF_SOURCE_PORT, CMP_INT },
	{ "request", RF_URL_ORIGINAL, CMP_EXACT },
	{ "http_request", RF_URL_ORIGINAL, CMP_EXACT },
	{ "verb", RF_HTTP_REQUEST_METHOD, CMP_EXACT },
	{ "time", RF_TIMESTAMP, CMP_TIME },
	{ "time_local", RF_TIMESTAMP, CMP_TIME },
	{ "body_bytes_sent", RF_DESTINATION_BYTES, CMP_INT },
	{ "bytes_read", RF_DESTINATION_BYTES, CMP_INT },
	{ "traefik_router_name", RF_RULE_NAME, CMP_ABSENT },
	{ NULL, 0, 0 }
};

static const struct corpus_maps http_maps = {
	.crowdsec = http_crowdsec,
	.failjson = fail2ban_map,
};

static const struct corpus_maps fail2ban_maps = { .failjson = fail2ban_map };

#define ENVOY_XFF	"the line carries an X-Forwarded-For chain: crowdsec " \
	"takes its first address, keibi the peer envoy names"

static const struct corpus_exclude envoy_excludes[] = {
	{ "crowdsec/envoy-logs", 9, "remote_addr", ENVOY_XFF },
	{ "crowdsec/envoy-logs", 9, "meta:source_ip", ENVOY_XFF },
	{ "crowdsec/envoy-logs", 10, "remote_addr", ENVOY_XFF },
	{ "crowdsec/envoy-logs", 10, "meta:source_ip", ENVOY_XFF },
	{ NULL, 0, NULL, NULL }
};

static const struct corpus_exclude haproxy_excludes[] = {
	{ "crowdsec/haproxy-logs", 5, NULL, "crowdsec's HTTP parser refuses "
	    "HAProxy's \"Stopped a TLSv1 heartbeat attack\" notice; keibi "
	    "keeps it as an event" },
	{ "fail2ban/haproxy-http-auth", 0, "time", "fail2ban dates the "
	    "year-less syslog header (2004); keibi takes HAProxy's own "
	    "accept date, which has its year (2015)" },
	{ NULL, 0, NULL, NULL }
};

/* --- mail: the other MTAs and IMAP/POP servers ------------------------- */

static const struct corpus_maps exim_maps = {
	.crowdsec = (const struct corpus_map[]){
		{ "source_ip", RF_SOURCE_IP, CMP_IP },
		{ "source_port", RF_SOURCE_PORT, CMP_INT },
		{ "meta:username", RF_USER_NAME, CMP_EXACT },
		{ "date", RF_TIMESTAMP, CMP_TIME },
		{ "timestamp", RF_TIMESTAMP, CMP_TIME },
		{ NULL, 0, 0 }
	},
	.failjson = fail2ban_map,
};

static const struct corpus_maps dovecot_maps = {
	.crowdsec = (const struct corpus_map[]){
		{ "dovecot_remote_ip", RF_SOURCE_IP, CMP_IP },
		{ "dovecot_local_ip", RF_DESTINATION_IP, CMP_IP },
		{ "dovecot_user", RF_USER_NAME, CMP_EXACT },
		{ "timestamp", RF_TIMESTAMP, CMP_TIME },
		{ "timestamp8601", RF_TIMESTAMP, CMP_TIME },
		{ "program", RF_PROCESS_NAME, CMP_EXACT },
		{ NULL, 0, 0 }
	},
	.failjson = fail2ban_map,
};

#define EXIM_RCPT	"crowdsec names the refused recipient \"username\"; " \
	"keibi keeps it as the recipient, not as a log-in name"

static const struct corpus_exclude exim_excludes[] = {
	{ "crowdsec/exim-logs", 4, "meta:username", EXIM_RCPT },
	{ "crowdsec/exim-logs", 5, "meta:username", EXIM_RCPT },
	{ "crowdsec/exim-logs", 8, "meta:username", EXIM_RCPT },
	{ "crowdsec/exim-logs", 9, "meta:username", EXIM_RCPT },
	{ "crowdsec/exim-syslog-logs", 4, "meta:username", EXIM_RCPT },
	{ "crowdsec/exim-syslog-logs", 5, "meta:username", EXIM_RCPT },
	{ "crowdsec/exim-syslog-logs", 8, "meta:username", EXIM_RCPT },
	{ "crowdsec/exim-syslog-logs", 9, "meta:username", EXIM_RCPT },
	{ NULL, 0, NULL, NULL }
};

static const struct corpus_exclude exchange_excludes[] = {
	{ "wazuh/exchange.ini", 10, NULL, "an ECP HTTP proxy log line, not "
	    "message tracking or a protocol log" },
	{ "wazuh/exchange.ini", 16, NULL, "an ECP cmdlet log line, not "
	    "message tracking or a protocol log" },
	{ NULL, 0, NULL, NULL }
};

static const struct corpus_maps exchange_maps = {
	.crowdsec = (const struct corpus_map[]){
		{ "client_ip", RF_SOURCE_IP, CMP_IP },
		{ "client_port", RF_SOURCE_PORT, CMP_INT },
		{ "server_ip", RF_DESTINATION_IP, CMP_IP },
		{ "server_port", RF_DESTINATION_PORT, CMP_INT },
		{ "username", RF_USER_NAME, CMP_EXACT },
		{ "date", RF_TIMESTAMP, CMP_TIME },
		{ NULL, 0, 0 }
	},
	.elastic = (const struct corpus_map[]){
		{ "@timestamp", RF_TIMESTAMP, CMP_TIME },
		{ "email.local_id", RF_EMAIL_LOCAL_ID, CMP_EXACT },
		{ "email.message_id", RF_EMAIL_MESSAGE_ID, CMP_EXACT },
		{ "email.subject", RF_EMAIL_SUBJECT, CMP_EXACT },
		{ "source.ip", RF_SOURCE_IP, CMP_IP },
		{ "destination.ip", RF_DESTINATION_IP, CMP_IP },
		{ NULL, 0, 0 }
	},
};

/* --- flows ------------------------------------------------------------- */

static const struct corpus_exclude zeek_excludes[] = {
	{ "metron/BroExampleOutput", 16, "ip_src_addr", "files.log: Metron "
	    "turns tx_hosts into an address; keibi reads no files.log fields" },
	{ "metron/BroExampleOutput", 16, "ip_dst_addr", "files.log: Metron "
	    "turns rx_hosts into an address; keibi reads no files.log fields" },
	{ "metron/BroExampleOutput", 17, "host", "known_certs.log: host is "
	    "an address there, not an HTTP host" },
	{ "metron/BroExampleOutput", 24, "host", "software.log: host is an "
	    "address there, not an HTTP host" },
	{ "metron/BroExampleOutput", 31, "method", "sip.log: keibi reads no "
	    "SIP fields" },
	{ "metron/BroExampleOutput", 31, "user_agent", "sip.log: keibi reads "
	    "no SIP fields" },
	{ NULL, 0, NULL, NULL }
};

static const struct corpus_maps zeek_maps = {
	.metron = (const struct corpus_map[]){
		{ "ip_src_addr", RF_SOURCE_IP, CMP_IP },
		{ "ip_dst_addr", RF_DESTINATION_IP, CMP_IP },
		{ "ip_src_port", RF_SOURCE_PORT, CMP_INT },
		{ "ip_dst_port", RF_DESTINATION_PORT, CMP_INT },
		{ "bro_timestamp", RF_TIMESTAMP, CMP_TIME_EPOCH_S },
		{ "method", RF_HTTP_REQUEST_METHOD, CMP_EXACT },
		{ "host", RF_URL_DOMAIN, CMP_EXACT },
		{ "status_code", RF_HTTP_RESPONSE_STATUS_CODE, CMP_INT },
		{ "user_agent", RF_USER_AGENT_ORIGINAL, CMP_EXACT },
		{ "query", RF_DNS_QUESTION_NAME, CMP_EXACT },
		{ NULL, 0, 0 }
	},
};

/* --- the table --------------------------------------------------------- */

const struct corpus_product corpus_products[] = {
	{ "firewall/checkpoint", "checkpoint", NULL, NULL, NULL },
	{ "firewall/cisco_asa", "cisco_asa", &asa_maps, NULL, asa_excludes },
	{ "firewall/cisco_ftd", "cisco_ftd", NULL, NULL, NULL },
	{ "firewall/cisco_pix", "cisco_asa", NULL, NULL, NULL },
	{ "firewall/firewalld", "iptables", NULL, firewalld_overrides, NULL },
	{ "firewall/fortigate", "fortigate", &fortigate_maps, NULL, NULL },
	{ "firewall/iptables", "iptables", &iptables_maps, iptables_overrides,
	    NULL },
	{ "firewall/juniper_srx", "juniper_srx", NULL, NULL, NULL },
	{ "firewall/mikrotik_routeros", "mikrotik", &mikrotik_maps, NULL,
	    NULL },
	{ "firewall/paloalto", "paloalto", &paloalto_maps, NULL,
	    paloalto_excludes },
	{ "firewall/pfsense", "pfsense", &pfsense_maps, NULL, NULL },
	{ "firewall/sonicwall", "sonicwall", &sonicwall_maps, NULL, NULL },
	{ "firewall/sophos_xg", "sophos_xg", &sophos_maps, NULL, NULL },
	{ "firewall/unifi", "unifi", &unifi_maps, NULL, unifi_excludes },
	{ "mail/cisco_esa", "cisco_esa", NULL, NULL, NULL },
	{ "mail/courier", "courier", &fail2ban_maps, NULL, NULL },
	{ "mail/cyrus_imap", "cyrus", &fail2ban_maps, NULL, NULL },
	{ "mail/dovecot", "dovecot", &dovecot_maps, NULL, NULL },
	{ "mail/exchange", "exchange", &exchange_maps, NULL,
	    exchange_excludes },
	{ "mail/exim", "exim", &exim_maps, NULL, exim_excludes },
	{ "mail/sendmail", "sendmail", &fail2ban_maps, NULL, NULL },
	{ "netflow/zeek", "zeek", &zeek_maps, NULL, zeek_excludes },
	{ "proxy/envoy", "envoy", &http_maps, NULL, envoy_excludes },
	{ "proxy/haproxy", "haproxy", &http_maps, NULL, haproxy_excludes },
	{ "proxy/nginx", "nginx", &http_maps, NULL, NULL },
	{ "mail/postfix", "postfix", &postfix_maps, postfix_overrides,
	    postfix_excludes },
	{ "mail/sophos_xg", "sophos_xg", &sophos_maps, NULL, NULL },
	{ "proxy/sophos_xg", "sophos_xg", &sophos_maps, NULL,
	    sophos_proxy_excludes },
	{ "proxy/squid", "squid", &squid_maps, squid_overrides, NULL },
	{ "proxy/traefik", "traefik", &http_maps, NULL, NULL },
	{ "proxy/zscaler_zia", "zscaler", NULL, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};
