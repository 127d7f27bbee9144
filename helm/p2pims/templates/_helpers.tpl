{{/* Names */}}
{{- define "p2pims.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "p2pims.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The name of one component's objects: include "p2pims.component" (list . "rights") */}}
{{- define "p2pims.component" -}}
{{- printf "%s-%s" (include "p2pims.fullname" (index . 0)) (index . 1) -}}
{{- end -}}

{{- define "p2pims.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels: include "p2pims.labels" (list . "rights") */}}
{{- define "p2pims.labels" -}}
{{- $root := index . 0 -}}
helm.sh/chart: {{ include "p2pims.chart" $root }}
{{ include "p2pims.selectorLabels" . }}
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
app.kubernetes.io/part-of: p2pims
{{- with $root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "p2pims.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "p2pims.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "p2pims.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "p2pims.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "p2pims.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* gRPC target of a backend: include "p2pims.grpcTarget" (list . "rights" .Values.rights.ports.grpc) */}}
{{- define "p2pims.grpcTarget" -}}
{{- printf "%s.%s.svc:%v" (include "p2pims.component" (list (index . 0) (index . 1))) (index . 0).Release.Namespace (index . 2) -}}
{{- end -}}

{{/* Database */}}
{{- define "p2pims.dbHost" -}}
{{- if .Values.postgresql.enabled -}}
{{- include "p2pims.component" (list . "postgresql") -}}
{{- else -}}
{{- required "database.host is required (or postgresql.enabled=true for development)" .Values.database.host -}}
{{- end -}}
{{- end -}}

{{- define "p2pims.dbSecretName" -}}
{{- if .Values.postgresql.enabled -}}
{{- include "p2pims.component" (list . "postgresql") -}}
{{- else if .Values.database.existingSecret -}}
{{- .Values.database.existingSecret -}}
{{- else -}}
{{- include "p2pims.component" (list . "db") -}}
{{- end -}}
{{- end -}}

{{- define "p2pims.dbPort" -}}
{{- if .Values.postgresql.enabled }}5432{{ else }}{{ .Values.database.port }}{{ end -}}
{{- end -}}

{{- define "p2pims.dbConninfo" -}}
{{- $words := list (printf "host=%s" (include "p2pims.dbHost" .)) (printf "port=%s" (include "p2pims.dbPort" .)) (printf "dbname=%s" .Values.database.name) -}}
{{- if .Values.postgresql.enabled -}}
{{- $words = append $words "sslmode=disable" -}}
{{- else -}}
{{- $words = append $words (printf "sslmode=%s" .Values.database.sslmode) -}}
{{- end -}}
{{- with .Values.database.extraConninfo -}}
{{- $words = append $words . -}}
{{- end -}}
{{- join " " $words -}}
{{- end -}}

{{/* The database environment of a container: user and password from the Secret (libpq's
     PGUSER/PGPASSWORD), the rest in P2PIMS_DB. */}}
{{- define "p2pims.dbEnv" -}}
- name: P2PIMS_DB
  value: {{ include "p2pims.dbConninfo" . | quote }}
- name: PGUSER
  valueFrom:
    secretKeyRef:
      name: {{ include "p2pims.dbSecretName" . }}
      key: {{ if or .Values.postgresql.enabled (not .Values.database.existingSecret) }}username{{ else }}{{ .Values.database.existingSecretUsernameKey }}{{ end }}
- name: PGPASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "p2pims.dbSecretName" . }}
      key: {{ if or .Values.postgresql.enabled (not .Values.database.existingSecret) }}password{{ else }}{{ .Values.database.existingSecretPasswordKey }}{{ end }}
- name: P2PIMS_DB_WAIT
  value: {{ .Values.database.wait | quote }}
{{- end -}}

{{/* Environment shared by every container: node id from the pod name, log level. */}}
{{- define "p2pims.commonEnv" -}}
{{- $root := index . 0 -}}
{{- $c := index . 1 -}}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: P2PIMS_NODE_ID
  value: $(POD_NAME)
- name: P2PIMS_LOG_LEVEL
  value: {{ default $root.Values.logLevel $c.logLevel | quote }}
{{- if $root.Values.grpcTls.enabled }}
- name: P2PIMS_GRPC_TLS_CA
  value: /etc/p2pims/grpc-tls/ca.crt
- name: P2PIMS_GRPC_TLS_CERT
  value: /etc/p2pims/grpc-tls/tls.crt
- name: P2PIMS_GRPC_TLS_KEY
  value: /etc/p2pims/grpc-tls/tls.key
- name: P2PIMS_GRPC_TLS_REQUIRE_CLIENT_CERT
  value: {{ $root.Values.grpcTls.requireClientCert | quote }}
{{- end }}

{{- end -}}

{{/* Pod-level settings every component shares: include "p2pims.podCommon" (list . $values) */}}
{{- define "p2pims.podCommon" -}}
{{- $root := index . 0 -}}
{{- $c := index . 1 -}}
serviceAccountName: {{ include "p2pims.serviceAccountName" $root }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml $root.Values.podSecurityContext | nindent 2 }}
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $c.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $c.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $c.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $c.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
terminationGracePeriodSeconds: {{ $c.terminationGracePeriodSeconds }}
{{- end -}}

{{/* Pod template annotations: include "p2pims.podAnnotations" (list . $values $adminPort) */}}
{{- define "p2pims.podAnnotations" -}}
{{- $root := index . 0 -}}
{{- $c := index . 1 -}}
checksum/config: {{ include (print $root.Template.BasePath "/configmap.yaml") $root | sha256sum }}
{{- if $root.Values.metrics.podAnnotations }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ index . 2 | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- if and $root.Values.grpcTls.enabled (not $root.Values.grpcTls.existingSecret) }}
{{- /* The pods restart when the chart renews the certificates (they read them at start-up). */}}
checksum/grpc-tls: {{ index (include "p2pims.grpcTlsGenerated" $root | fromJson).data "tls.crt" | sha256sum }}
{{- end }}
{{- with $c.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Probes, resources and security of a container: include "p2pims.containerCommon" (list . $values) */}}
{{- define "p2pims.containerCommon" -}}
{{- $root := index . 0 -}}
{{- $c := index . 1 -}}
imagePullPolicy: {{ $root.Values.image.pullPolicy }}
securityContext:
  {{- toYaml $root.Values.securityContext | nindent 2 }}
{{- with $c.livenessProbe }}
livenessProbe:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $c.readinessProbe }}
readinessProbe:
  {{- if and $root.Values.grpcTls.enabled .grpc }}
  {{- /* kubelet's gRPC probes speak no TLS: /readyz tells the same (gRPC health follows it). */}}
  httpGet: {path: /readyz, port: admin}
  {{- toYaml (omit . "grpc") | nindent 2 }}
  {{- else }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}
{{- with $c.startupProbe }}
startupProbe:
  {{- toYaml . | nindent 2 }}
{{- end }}
resources:
  {{- toYaml $c.resources | nindent 2 }}
{{- end -}}

{{/* The origin seeder's identity at rights. */}}
{{- define "p2pims.originSubject" -}}
{{- default (printf "sip:origin@%s" (first .Values.sipEdge.domains | lower)) .Values.origin.subject -}}
{{- end -}}

{{/* Volumes every workload has: /tmp, and the internal gRPC's certificates when grpcTls is on
     (only ca.crt, tls.crt and tls.key: never the CA's key or the operators' certificate). */}}
{{- define "p2pims.commonVolumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.grpcTls.enabled }}
- name: grpc-tls
  mountPath: /etc/p2pims/grpc-tls
  readOnly: true
{{- end }}
{{- end -}}

{{- define "p2pims.commonVolumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- if .Values.grpcTls.enabled }}
- name: grpc-tls
  secret:
    secretName: {{ include "p2pims.grpcTlsSecretName" . }}
    defaultMode: 288  # 0440: owner and the pod's fsGroup read
    items:
      - {key: ca.crt, path: ca.crt}
      - {key: tls.crt, path: tls.crt}
      - {key: tls.key, path: tls.key}
{{- end }}
{{- end -}}

{{/* The admin-access grants, for the components serving admin RPCs (rights, charging, the
     tracker): their environment, mount, volume and pod annotation. */}}
{{- define "p2pims.adminAccessEnv" -}}
{{- if .Values.adminAccess.enabled }}
- name: P2PIMS_ADMIN_ACCESS_FILE
  value: /etc/p2pims/admin-access/grants
{{- end }}
{{- end -}}
{{- define "p2pims.adminAccessVolumeMount" -}}
{{- if .Values.adminAccess.enabled }}
- name: admin-access
  mountPath: /etc/p2pims/admin-access
  readOnly: true
{{- end }}
{{- end -}}
{{- define "p2pims.adminAccessVolume" -}}
{{- if .Values.adminAccess.enabled }}
- name: admin-access
  configMap:
    name: {{ include "p2pims.component" (list . "admin-access") }}
{{- end }}
{{- end -}}
{{- define "p2pims.adminAccessAnnotation" -}}
{{- if .Values.adminAccess.enabled }}
{{- /* The pods restart when the grants change (they read them at start-up). */}}
checksum/admin-access: {{ include "p2pims.adminAccessGrants" . | sha256sum }}
{{- end }}
{{- end -}}

{{/* The admin-access grants file (lib/grpc/admin_access.h): the generated certificates' roles,
     then adminAccess.grants. Refuses to render a file that would let nobody in. */}}
{{- define "p2pims.adminAccessGrants" -}}
{{- $lines := list -}}
{{- if and .Values.grpcTls.enabled (not .Values.grpcTls.existingSecret) -}}
{{- $lines = append $lines (printf "operator cert:%s-operator" (include "p2pims.fullname" .)) -}}
{{- $lines = append $lines (printf "reader cert:%s-services" (include "p2pims.fullname" .)) -}}
{{- end -}}
{{- $lines = concat $lines .Values.adminAccess.grants -}}
{{- if not $lines -}}
{{- fail "adminAccess: nobody could administer: with grpcTls.existingSecret or grpcTls.enabled=false list who may in adminAccess.grants (\"operator cert:<CN>\" or \"operator token-sha256:<hex>\"), or set adminAccess.enabled=false for local development" -}}
{{- end -}}
{{- join "\n" $lines -}}
{{- end -}}

{{/* Internal TLS (docs/operations.md, "Internal TLS"). */}}
{{- define "p2pims.grpcTlsSecretName" -}}
{{- default (include "p2pims.component" (list . "grpc-tls")) .Values.grpcTls.existingSecret -}}
{{- end -}}

{{/* The names the generated service certificate holds, as a JSON list: every component's
     Service (short, namespaced and full names), the StatefulSets' pods through their headless
     Services (a wildcard: any replica count), and grpcTls.generated.extraDnsNames. */}}
{{- define "p2pims.grpcTlsDnsNames" -}}
{{- $ns := .Release.Namespace -}}
{{- $domain := .Values.grpcTls.generated.clusterDomain -}}
{{- $names := list -}}
{{- range $comp := list "rights" "charging" "tracker" "tracker-headless" "origin" "origin-headless" "sip-edge" -}}
{{- $svc := include "p2pims.component" (list $ $comp) -}}
{{- $names = concat $names (list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.%s" $svc $ns $domain)) -}}
{{- end -}}
{{- range $comp := list "tracker-headless" "origin-headless" -}}
{{- $svc := include "p2pims.component" (list $ $comp) -}}
{{- $names = concat $names (list (printf "*.%s.%s.svc" $svc $ns) (printf "*.%s.%s.svc.%s" $svc $ns $domain)) -}}
{{- end -}}
{{- concat $names .Values.grpcTls.generated.extraDnsNames | uniq | toJson -}}
{{- end -}}

{{/* The generated CA and certificates, made once per rendering (memoized on the root context,
     so that the Secret, the pods' checksum and NOTES.txt see the same ones) as JSON:
     {state, data (base64, as in the Secret), annotations}. state: "created" (no Secret yet),
     "kept" (the Secret's contents as they are), "renewed: <why>" (new service and operator
     certificates from the kept CA: the names changed, or they expire within renewBeforeDays).
     The CA itself is never replaced here: that is a rotation (docs/operations.md). */}}
{{- define "p2pims.grpcTlsGenerated" -}}
{{- if not (hasKey . "p2pimsGrpcTlsGenerated") -}}
{{- $g := .Values.grpcTls.generated -}}
{{- $name := include "p2pims.grpcTlsSecretName" . -}}
{{- $dns := include "p2pims.grpcTlsDnsNames" . | fromJsonArray -}}
{{- $ips := $g.extraIpAddresses -}}
{{- $sans := list -}}
{{- range $dns }}{{ $sans = append $sans (printf "DNS:%s" .) }}{{ end -}}
{{- range $ips }}{{ $sans = append $sans (printf "IP:%s" .) }}{{ end -}}
{{- $names := join "," $sans -}}
{{- $now := now | unixEpoch | int64 -}}
{{- $existing := lookup "v1" "Secret" .Release.Namespace $name -}}
{{- $data := dict -}}
{{- $ann := dict -}}
{{- $state := "created" -}}
{{- $ca := dict -}}
{{- if $existing -}}
{{- $data = deepCopy (default (dict) $existing.data) -}}
{{- if not (and (hasKey $data "ca.crt") (hasKey $data "ca.key")) -}}
{{- fail (printf "grpcTls: Secret %s exists without ca.crt and ca.key, so the chart cannot keep or renew it: set grpcTls.existingSecret=%s to use it as it is, or delete it to have a new CA generated" $name $name) -}}
{{- end -}}
{{- $ca = buildCustomCert (index $data "ca.crt") (index $data "ca.key") -}}
{{- range $k, $v := default (dict) $existing.metadata.annotations -}}
{{- if hasPrefix "p2pims.io/grpc-tls-" $k -}}
{{- $_ := set $ann $k $v -}}
{{- end -}}
{{- end -}}
{{- $notAfter := index $ann "p2pims.io/grpc-tls-not-after" | default "0" | int64 -}}
{{- $state = "kept" -}}
{{- if not (and (hasKey $data "tls.crt") (hasKey $data "tls.key") (hasKey $data "operator.crt") (hasKey $data "operator.key")) -}}
{{- $state = "renewed: certificates missing from the Secret" -}}
{{- else if ne (index $ann "p2pims.io/grpc-tls-names" | default "") $names -}}
{{- $state = "renewed: the certificate's names changed" -}}
{{- else if lt (sub $notAfter $now) (mul (int64 $g.renewBeforeDays) 86400) -}}
{{- $state = "renewed: the certificates expire within grpcTls.generated.renewBeforeDays" -}}
{{- end -}}
{{- else -}}
{{- $ca = genCA (printf "%s internal gRPC CA" (include "p2pims.fullname" .)) (int $g.caDays) -}}
{{- $_ := set $data "ca.crt" ($ca.Cert | b64enc) -}}
{{- $_ := set $data "ca.key" ($ca.Key | b64enc) -}}
{{- end -}}
{{- if ne $state "kept" -}}
{{- $svc := genSignedCert (printf "%s-services" (include "p2pims.fullname" .)) $ips $dns (int $g.certDays) $ca -}}
{{- $op := genSignedCert (printf "%s-operator" (include "p2pims.fullname" .)) nil nil (int $g.certDays) $ca -}}
{{- $_ := set $data "tls.crt" ($svc.Cert | b64enc) -}}
{{- $_ := set $data "tls.key" ($svc.Key | b64enc) -}}
{{- $_ := set $data "operator.crt" ($op.Cert | b64enc) -}}
{{- $_ := set $data "operator.key" ($op.Key | b64enc) -}}
{{- $expires := now | dateModify (printf "+%dh" (mul (int64 $g.certDays) 24)) -}}
{{- $_ := set $ann "p2pims.io/grpc-tls-not-after" ($expires | unixEpoch | toString) -}}
{{- $_ := set $ann "p2pims.io/grpc-tls-expires" (dateInZone "2006-01-02T15:04:05Z" $expires "UTC") -}}
{{- $_ := set $ann "p2pims.io/grpc-tls-names" $names -}}
{{- end -}}
{{- $_ := set . "p2pimsGrpcTlsGenerated" (dict "state" $state "data" $data "annotations" $ann) -}}
{{- end -}}
{{- index . "p2pimsGrpcTlsGenerated" | toJson -}}
{{- end -}}
