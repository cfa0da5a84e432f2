{{/*
Names, labels, images, scheduling and addresses shared by every template.
Most helpers take a context dict: (dict "root" $ "name" "whisper"), where
"name" is the service's key in values.yaml.
*/}}

{{/* Prefix of every object: the release name, unless fullnameOverride. */}}
{{- define "optivus.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- end }}

{{/* <release>-<service>: the Deployment, Service and ServiceAccount name. */}}
{{- define "optivus.componentName" -}}
{{- printf "%s-%s" (include "optivus.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{- define "optivus.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{- define "optivus.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end }}

{{- define "optivus.labels" -}}
helm.sh/chart: {{ include "optivus.chart" .root }}
{{ include "optivus.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: optivus
{{- end }}

{{/* <registry>/<repository>:<tag>; the tag defaults to global, then appVersion. */}}
{{- define "optivus.image" -}}
{{- $svc := index .root.Values .name -}}
{{- $g := .root.Values.global.image -}}
{{- $registry := $svc.image.registry | default $g.registry | default "" | trimSuffix "/" -}}
{{- $tag := $svc.image.tag | default $g.tag | default .root.Chart.AppVersion | toString -}}
{{- if $registry -}}
{{- printf "%s/%s:%s" $registry $svc.image.repository $tag -}}
{{- else -}}
{{- printf "%s:%s" $svc.image.repository $tag -}}
{{- end -}}
{{- end }}

{{- define "optivus.pullPolicy" -}}
{{- $svc := index .root.Values .name -}}
{{- $svc.image.pullPolicy | default .root.Values.global.image.pullPolicy | default "IfNotPresent" -}}
{{- end }}

{{/* "true" when the service asks for GPUs and GPUs are on globally. */}}
{{- define "optivus.gpuEnabled" -}}
{{- $svc := index .root.Values .name -}}
{{- if and .root.Values.global.gpu.enabled (dig "gpu" "enabled" false $svc) -}}true{{- end -}}
{{- end }}

{{/* Global, then GPU, then the service's nodeSelector (later wins). */}}
{{- define "optivus.nodeSelector" -}}
{{- $svc := index .root.Values .name -}}
{{- $gpu := dict -}}
{{- if include "optivus.gpuEnabled" . -}}
{{- $gpu = .root.Values.global.gpu.nodeSelector | default dict -}}
{{- end -}}
{{- $merged := merge (deepCopy ($svc.nodeSelector | default dict)) (deepCopy $gpu) (deepCopy (.root.Values.global.nodeSelector | default dict)) -}}
{{- if $merged -}}
{{- toYaml $merged -}}
{{- end -}}
{{- end }}

{{- define "optivus.tolerations" -}}
{{- $svc := index .root.Values .name -}}
{{- $all := concat (.root.Values.global.tolerations | default list) ($svc.tolerations | default list) -}}
{{- if include "optivus.gpuEnabled" . -}}
{{- $all = concat $all (.root.Values.global.gpu.tolerations | default list) -}}
{{- end -}}
{{- if $all -}}
{{- toYaml (uniq $all) -}}
{{- end -}}
{{- end }}

{{/* The service's resources, plus the GPU limit when GPUs are on. */}}
{{- define "optivus.resources" -}}
{{- $svc := index .root.Values .name -}}
{{- $res := deepCopy ($svc.resources | default dict) -}}
{{- if include "optivus.gpuEnabled" . -}}
{{- $limits := $res.limits | default dict -}}
{{- $_ := set $limits .root.Values.global.gpu.resourceName (int (dig "gpu" "count" 1 $svc)) -}}
{{- $_ := set $res "limits" $limits -}}
{{- end -}}
{{- if $res -}}
{{- toYaml $res -}}
{{- end -}}
{{- end }}

{{/* Name the NATS subchart gives its objects (its nats.fullname). */}}
{{- define "optivus.natsFullname" -}}
{{- $nats := .Values.nats | default dict -}}
{{- if $nats.fullnameOverride -}}
{{- $nats.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := $nats.nameOverride | default "nats" -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end }}

{{/* Name the Milvus subchart gives its Service (its milvus.fullname). */}}
{{- define "optivus.milvusFullname" -}}
{{- $milvus := .Values.milvus | default dict -}}
{{- if $milvus.fullnameOverride -}}
{{- $milvus.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := $milvus.nameOverride | default "milvus" -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end }}

{{/* OPTIVUS_NATS_URL: the subchart's client Service, or externalNats.url. */}}
{{- define "optivus.natsUrl" -}}
{{- if .Values.nats.enabled -}}
{{- printf "nats://%s.%s.svc.%s:4222" (include "optivus.natsFullname" .) .Release.Namespace .Values.global.clusterDomain -}}
{{- else -}}
{{- .Values.externalNats.url | default "" -}}
{{- end -}}
{{- end }}

{{/* host:port of the NATS monitoring endpoint, for KEDA. */}}
{{- define "optivus.natsMonitoringEndpoint" -}}
{{- if .Values.nats.enabled -}}
{{- printf "%s-headless.%s.svc.%s:8222" (include "optivus.natsFullname" .) .Release.Namespace .Values.global.clusterDomain -}}
{{- else -}}
{{- .Values.externalNats.monitoringEndpoint | default "" -}}
{{- end -}}
{{- end }}

{{/* Milvus URI for videorag: the subchart, externalMilvus.uri, or empty (Milvus Lite). */}}
{{- define "optivus.milvusUri" -}}
{{- if .Values.milvus.enabled -}}
{{- printf "http://%s.%s.svc.%s:19530" (include "optivus.milvusFullname" .) .Release.Namespace .Values.global.clusterDomain -}}
{{- else -}}
{{- .Values.externalMilvus.uri | default "" -}}
{{- end -}}
{{- end }}

{{/* dns:///<release>-<svc>:<port> of an enabled gRPC service, else empty. */}}
{{- define "optivus.grpcAddress" -}}
{{- $svc := index .root.Values .name -}}
{{- if $svc.enabled -}}
{{- printf "dns:///%s:%d" (include "optivus.componentName" .) (int $svc.port) -}}
{{- end -}}
{{- end }}

{{/* terminationGracePeriodSeconds: preStop sleep + shutdown grace + margin. */}}
{{- define "optivus.terminationGrace" -}}
{{- $g := .Values.global -}}
{{- add (int $g.preStopSleepSeconds) (int (ceil $g.shutdownGraceSeconds)) (int $g.terminationExtraSeconds) -}}
{{- end }}

{{/* Environment every service reads (services/common settings). */}}
{{- define "optivus.commonEnv" -}}
{{- $root := .root -}}
{{- $g := $root.Values.global -}}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: HOME
  value: /tmp
- name: XDG_CACHE_HOME
  value: /tmp/.cache
- name: OPTIVUS_DATA_DIR
  value: /data
- name: PATH_VIDEO
  value: /data/videos
- name: FS_PATH
  value: /data/fs_audio
{{- with $g.mediaRoots }}
- name: OPTIVUS_MEDIA_ROOTS
  value: {{ join ":" . | quote }}
{{- end }}
- name: OPTIVUS_MODEL_CACHE
  value: /models
- name: HF_HOME
  value: /models/huggingface
- name: OPTIVUS_NATS_URL
  value: {{ include "optivus.natsUrl" $root | quote }}
{{- if $root.Values.natsAuth.enabled }}
- name: OPTIVUS_NATS_USER
  valueFrom:
    secretKeyRef:
      name: {{ $root.Values.natsAuth.secretName }}
      key: user
- name: OPTIVUS_NATS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $root.Values.natsAuth.secretName }}
      key: password
{{- end }}
- name: OPTIVUS_BLOB_BUCKET
  value: {{ $g.blobBucket | quote }}
- name: OPTIVUS_BLOB_TTL_HOURS
  value: {{ $g.blobTtlHours | quote }}
- name: OPTIVUS_BLOB_MAX_MB
  value: {{ $g.blobMaxMB | quote }}
- name: OPTIVUS_GRPC_MAX_MESSAGE_MB
  value: {{ $g.grpcMaxMessageMB | quote }}
- name: OPTIVUS_GRPC_MAX_CONCURRENT_RPCS
  value: {{ $g.grpcMaxConcurrentRpcs | quote }}
- name: OPTIVUS_SHUTDOWN_GRACE_S
  value: {{ $g.shutdownGraceSeconds | quote }}
- name: OPTIVUS_LOG_LEVEL
  value: {{ $g.logLevel | quote }}
{{- with $g.otel.endpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
{{- end }}
- name: OPTIVUS_METRICS_PORT
  value: {{ include "optivus.metricsPort" $root | quote }}
- name: OTEL_SERVICE_NAME
  value: {{ printf "optivus-%s" .name | quote }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: "k8s.namespace.name=$(POD_NAMESPACE),k8s.pod.name=$(POD_NAME),service.namespace=optivus"
{{- end }}

{{/* The metrics port every pod serves /metrics on; 0 when metrics are off. */}}
{{- define "optivus.metricsPort" -}}
{{- if .Values.metrics.enabled -}}{{ int .Values.metrics.port }}{{- else -}}0{{- end -}}
{{- end }}

{{/* The metrics container port, when metrics are on. */}}
{{- define "optivus.metricsContainerPort" -}}
{{- if .Values.metrics.enabled }}
- name: metrics
  containerPort: {{ int .Values.metrics.port }}
  protocol: TCP
{{- end }}
{{- end }}

{{/* Extra env: global.env, then the service's env (later wins). */}}
{{- define "optivus.extraEnv" -}}
{{- $svc := index .root.Values .name -}}
{{- with .root.Values.global.env }}
{{ toYaml . }}
{{- end }}
{{- with $svc.env }}
{{ toYaml . }}
{{- end }}
{{- end }}
