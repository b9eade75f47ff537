{{/* Names, labels and shared blocks of the xlapulse chart. */}}

{{- define "xlapulse.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "xlapulse.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "xlapulse.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every resource; call with (dict "ctx" $ "component" "engine"). */}}
{{- define "xlapulse.labels" -}}
helm.sh/chart: {{ include "xlapulse.chart" .ctx }}
{{ include "xlapulse.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: xlapulse
{{- with .ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "xlapulse.selectorLabels" -}}
app.kubernetes.io/name: {{ include "xlapulse.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "xlapulse.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "xlapulse.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "xlapulse.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The contract's topics (collectors/delivery/topics_admin.py ALL_TOPICS); the engine's own are Faust's. */}}
{{- define "xlapulse.topics" -}}
- xlapulse.telemetry.v1
- xlapulse.tickets.v1
- xlapulse.surveys.v1
- xlapulse.directory.v1
- xlapulse.survey-invitations.v1
- xlapulse.deadletter.v1
- xlapulse.dips.v1
- xlapulse.notices.v1
{{- end }}

{{/* Environment every xlapulse process reads: Kafka, topics, security references. */}}
{{- define "xlapulse.kafkaEnv" -}}
- name: XLAPULSE_KAFKA_BOOTSTRAP
  value: {{ .Values.kafka.bootstrap | quote }}
- name: XLAPULSE_TOPIC_PARTITIONS
  value: {{ .Values.kafka.topics.partitions | quote }}
- name: XLAPULSE_TOPIC_REPLICATION
  value: {{ .Values.kafka.topics.replication | quote }}
{{- with .Values.kafka.security }}
{{- if ne .protocol "PLAINTEXT" }}
- name: XLAPULSE_KAFKA_SECURITY_PROTOCOL
  value: {{ .protocol | quote }}
{{- end }}
{{- if hasPrefix "SASL_" .protocol }}
- name: XLAPULSE_KAFKA_SASL_MECHANISM
  value: {{ .saslMechanism | quote }}
- name: XLAPULSE_KAFKA_SASL_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ required "kafka.security.saslExistingSecret is required for SASL" .saslExistingSecret }}
      key: username
- name: XLAPULSE_KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .saslExistingSecret }}
      key: password
{{- end }}
{{- if has .protocol (list "SSL" "SASL_SSL") }}
- name: XLAPULSE_KAFKA_SSL_CA_FILE
  value: /etc/xlapulse/kafka-tls/ca.crt
{{- end }}
{{- end }}
{{- end }}

{{/* Volume and mount of the Kafka CA, when TLS is on. */}}
{{- define "xlapulse.kafkaTlsVolume" -}}
{{- if has .Values.kafka.security.protocol (list "SSL" "SASL_SSL") }}
- name: kafka-tls
  secret:
    secretName: {{ required "kafka.security.tlsExistingSecret is required for SSL and SASL_SSL" .Values.kafka.security.tlsExistingSecret }}
    items:
      - key: ca.crt
        path: ca.crt
{{- end }}
{{- end }}

{{- define "xlapulse.kafkaTlsMount" -}}
{{- if has .Values.kafka.security.protocol (list "SSL" "SASL_SSL") }}
- name: kafka-tls
  mountPath: /etc/xlapulse/kafka-tls
  readOnly: true
{{- end }}
{{- end }}

{{/* InfluxDB settings of the engine; credentials only from influxdb.existingSecret. */}}
{{- define "xlapulse.influxEnv" -}}
- name: XLAPULSE_INFLUX_URL
  value: {{ .Values.influxdb.url | quote }}
- name: XLAPULSE_INFLUX_DATABASE
  value: {{ .Values.influxdb.database | quote }}
- name: XLAPULSE_INFLUX_RETENTION_POLICY
  value: {{ .Values.influxdb.retentionPolicy | quote }}
{{- with .Values.influxdb.existingSecret }}
- name: XLAPULSE_INFLUX_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: username
      optional: true
- name: XLAPULSE_INFLUX_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: password
      optional: true
- name: XLAPULSE_INFLUX_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: token
      optional: true
{{- end }}
{{- end }}

{{/* Refusals that no schema can express. */}}
{{- define "xlapulse.validate" -}}
{{- if gt (int .Values.engine.replicas) (int .Values.kafka.topics.partitions) }}
{{- fail (printf "engine.replicas (%d) must not exceed kafka.topics.partitions (%d): a worker without partitions never becomes ready" (int .Values.engine.replicas) (int .Values.kafka.topics.partitions)) }}
{{- end }}
{{- if and .Values.gateway.enabled (not .Values.gateway.existingSecret) }}
{{- fail "gateway.existingSecret is required: a Secret with the key pseudonym-key (see helm/README.md)" }}
{{- end }}
{{- if and (eq (int .Values.influxdb.version) 2) .Values.influxdb.init.enabled (not .Values.influxdb.organization) }}
{{- fail "influxdb.organization is required for the InfluxDB 2.x init Job" }}
{{- end }}
{{- if and (eq (int .Values.influxdb.version) 2) .Values.influxdb.init.enabled (not .Values.influxdb.existingSecret) }}
{{- fail "influxdb.existingSecret (key token) is required for the InfluxDB 2.x init Job" }}
{{- end }}
{{- end }}

{{/* Pod security context and container security context. */}}
{{- define "xlapulse.podSecurityContext" -}}
{{- toYaml .Values.podSecurityContext }}
{{- end }}
