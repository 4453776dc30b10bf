{{/* Name of the chart, or nameOverride. */}}
{{- define "heady-metrics.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-qualified name; the StatefulSet's pods are <fullname>-<ordinal>. */}}
{{- define "heady-metrics.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "heady-metrics.selectorLabels" -}}
app.kubernetes.io/name: {{ include "heady-metrics.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "heady-metrics.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "heady-metrics.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: heady
{{- end -}}

{{/*
The Prometheus job label of the exporter's series. The generated rules
(files/heady-rules.yml) select up{job="heady"}; a test checks the two agree.
*/}}
{{- define "heady-metrics.job" -}}heady{{- end -}}

{{/*
Target labels the Prometheus operator adds to a ServiceMonitor's targets
that differ between the shards (besides instance).
*/}}
{{- define "heady-metrics.droppedTargetLabels" -}}pod|container|service|endpoint{{- end -}}

{{- define "heady-metrics.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/*
state_dir: on the shard's PersistentVolumeClaim, in a directory of the shard
count, so that changing `shards` starts every shard on fresh state instead of
restoring users that another shard now owns (which would count them twice).
*/}}
{{- define "heady-metrics.stateDir" -}}
{{- printf "/var/lib/heady-exporter/shards-%d" (int .Values.shards) -}}
{{- end -}}

{{- define "heady-metrics.webhookDir" -}}/etc/heady/webhook{{- end -}}

{{/*
The exporter's configuration file: .Values.config plus what the chart owns.
The digest's copy (.stateDir, .noWebhook) has its own state_dir and no
webhook: the digest serves nothing.
*/}}
{{- define "heady-metrics.config" -}}
{{- $c := deepCopy (.Values.config | default dict) -}}
{{- range $k := list "state_dir" "shard" -}}
{{- if hasKey $c $k -}}
{{- fail (printf "config.%s is set by the chart (persistence, shards): remove it from the values" $k) -}}
{{- end -}}
{{- end -}}
{{- $_ := set $c "state_dir" (.stateDir | default (include "heady-metrics.stateDir" .)) -}}
{{- if and .Values.webhook.existingSecret (not .noWebhook) -}}
{{- $web := deepCopy (get $c "web" | default dict) -}}
{{- if hasKey $web "webhook_secret_file" -}}
{{- fail "config.web.webhook_secret_file is set by the chart from webhook.existingSecret: remove it from the values" -}}
{{- end -}}
{{- $_ := set $web "webhook_secret_file" (printf "%s/%s" (include "heady-metrics.webhookDir" .) .Values.webhook.key) -}}
{{- $_ := set $c "web" $web -}}
{{- end -}}
{{- toYaml $c -}}
{{- end -}}
