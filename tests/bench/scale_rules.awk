# scale_rules.awk: 200 generated proxy rules, one regex each on the URL
# (40 paths attackers probe x 5 payload families), for make bench to show
# how matching scales with the number of regexes, in keibi and in rg.
# Usage: awk -f scale_rules.awk >scale.yml (beside the shipped packs).
BEGIN {
	np = split("wp-admin/ wp-login\\.php xmlrpc\\.php phpmyadmin/ cgi-bin/ solr/admin/ actuator/env jenkins/script manager/html \\.git/config \\.env boaform/ HNAP1/ vendor/phpunit/ console/ api/jsonws/ owa/auth/ autodiscover/ ecp/ remote/login dana-na/ sslvpn/ struts/ jmx-console/ invoker/JMXInvokerServlet axis2/ nacos/ druid/ weblogic/ ws_utc/ CFIDE/ shell\\.php cmd\\.jsp upload\\.php webdav/ setup\\.cgi goform/ tmui/ vpn/ mifs/", p, " ")
	nq = split("(?:cmd|exec|command)= (?:\\.\\.|%2e%2e)(?:/|%2f) (?:\\$\\{|%24%7b)jndi: (?:union|select)(?:\\s|%20|\\+)+(?:all|from|where) (?:wget|curl)(?:\\s|%20|\\+)", q, " ")
	print "rules:"
	n = 0
	for (i = 1; i <= np; i++)
		for (j = 1; j <= nq; j++) {
			n++
			printf "  - id: KB-SCALE-%04d\n    rev: 1\n    title: Attack on /%s (family %d)\n", n, p[i], j
			printf "    category: outbound_attack\n    severity: medium\n    logsource: proxy\n"
			printf "    match:\n      url.original:\n        regex: '/%s[^ ]*%s'\n        nocase: true\n", p[i], q[j]
		}
}
