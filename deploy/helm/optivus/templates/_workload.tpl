{{/*
Building blocks of a service's objects. Each service's template file
(whisper.yaml, ...) includes "optivus.grpcWorkload" with its name; the
gateway composes the pieces itself since it serves HTTP as well.
*/}}

{{- define "optivus.serviceAccount" -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "optivus.componentName" . }}
  labels:
    {{- include "optivus.labels" . | nindent 4 }}
automountServiceAccountToken: false
{{- end }}

{{/* Pod labels: the chart's labels plus global and service podLabels. */}}
{{- define "optivus.podLabels" -}}
{{- $svc := index .root.Values .name -}}
{{- $labels := merge (deepCopy ($svc.podLabels | default dict)) (deepCopy (.root.Values.global.podLabels | default dict)) (include "optivus.labels" . | fromYaml) -}}
{{- toYaml $labels -}}
{{- end }}

{{- define "optivus.podAnnotations" -}}
{{- $svc := index .root.Values .name -}}
{{- $ann := merge (deepCopy ($svc.podAnnotations | default dict)) (deepCopy (.root.Values.global.podAnnotations | default dict)) -}}
{{- if $ann -}}
{{- toYaml $ann -}}
{{- end -}}
{{- end }}

{{/* Deployment spec fields before the template: replicas (unless an
autoscaler owns them), selector, strategy. */}}
{{- define "optivus.deploymentSpecHead" -}}
{{- $svc := index .root.Values .name -}}
{{- $hpa := dig "hpa" "enabled" false $svc -}}
{{- $keda := dig "keda" "enabled" false $svc -}}
{{- if and $hpa $keda -}}
{{- fail (printf "%s: hpa.enabled and keda.enabled are exclusive (KEDA creates its own HPA)" .name) -}}
{{- end -}}
{{- if not (or $hpa $keda) }}
replicas: {{ $svc.replicas | default 1 }}
{{- end }}
revisionHistoryLimit: 5
selector:
  matchLabels:
    {{- include "optivus.selectorLabels" . | nindent 4 }}
{{- with $svc.strategy }}
strategy:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Pod spec fields before the containers. Security follows Online
Boutique: non-root uid 1000, RuntimeDefault seccomp. */}}
{{- define "optivus.podSpecHead" -}}
{{- $root := .root -}}
{{- $svc := index $root.Values .name -}}
serviceAccountName: {{ include "optivus.componentName" . }}
automountServiceAccountToken: false
{{- with $root.Values.global.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  runAsNonRoot: true
  runAsUser: 1000
  runAsGroup: 1000
  fsGroup: 1000
  fsGroupChangePolicy: OnRootMismatch
  seccompProfile:
    type: RuntimeDefault
terminationGracePeriodSeconds: {{ include "optivus.terminationGrace" $root }}
{{- if and (include "optivus.gpuEnabled" .) $root.Values.global.gpu.runtimeClassName }}
runtimeClassName: {{ $root.Values.global.gpu.runtimeClassName }}
{{- end }}
{{- with $svc.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with include "optivus.nodeSelector" . }}
nodeSelector:
  {{- . | nindent 2 }}
{{- end }}
{{- with include "optivus.tolerations" . }}
tolerations:
  {{- . | nindent 2 }}
{{- end }}
{{- with $svc.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{- define "optivus.containerSecurityContext" -}}
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
capabilities:
  drop: [ALL]
{{- end }}

{{/* Gives endpoints and DNS time to drop the pod before SIGTERM. */}}
{{- define "optivus.lifecycle" -}}
{{- $sleep := int .root.Values.global.preStopSleepSeconds -}}
{{- if gt $sleep 0 }}
lifecycle:
  preStop:
    sleep:
      seconds: {{ $sleep }}
{{- end }}
{{- end }}

{{/* The root filesystem is read-only: /tmp, /data (media) and /models
(model cache) are the writable places. */}}
{{- define "optivus.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: data
  mountPath: /data
- name: models
  mountPath: /models
{{- if .shm }}
- name: shm
  mountPath: /dev/shm
{{- end }}
{{- end }}

{{- define "optivus.volumes" -}}
{{- $root := .root -}}
{{- $svc := index $root.Values .name -}}
{{- $media := $root.Values.media -}}
{{- $cache := $svc.modelCache | default dict -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ $root.Values.global.tmpSizeLimit | default "4Gi" }}
- name: data
{{- if $media.persistence.enabled }}
  persistentVolumeClaim:
    claimName: {{ $media.persistence.existingClaim | default (printf "%s-media" (include "optivus.fullname" $root)) }}
{{- else }}
  emptyDir:
    sizeLimit: {{ $media.emptyDirSizeLimit | default "20Gi" }}
{{- end }}
- name: models
{{- if eq ($cache.type | default "emptyDir") "pvc" }}
  persistentVolumeClaim:
    claimName: {{ include "optivus.componentName" . }}-models
{{- else if eq $cache.type "existingClaim" }}
  persistentVolumeClaim:
    claimName: {{ required (printf "%s.modelCache.existingClaim is required with type existingClaim" .name) $cache.existingClaim }}
{{- else if eq ($cache.type | default "emptyDir") "emptyDir" }}
  emptyDir:
    sizeLimit: {{ $cache.sizeLimit | default "20Gi" }}
{{- else }}
{{- fail (printf "%s.modelCache.type must be emptyDir, pvc or existingClaim, not %q" .name $cache.type) }}
{{- end }}
{{- if .shm }}
- name: shm
  emptyDir:
    medium: Memory
    sizeLimit: {{ $root.Values.global.shmSizeLimit | default "1Gi" }}
{{- end }}
{{- end }}

{{/* The model-cache claim, when modelCache.type is pvc. */}}
{{- define "optivus.modelCachePvc" -}}
{{- $svc := index .root.Values .name -}}
{{- $cache := $svc.modelCache | default dict -}}
{{- if eq ($cache.type | default "") "pvc" }}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {{ include "optivus.componentName" . }}-models
  labels:
    {{- include "optivus.labels" . | nindent 4 }}
  annotations:
    # Downloaded models outlive an uninstall.
    helm.sh/resource-policy: keep
spec:
  accessModes:
    {{- toYaml ($cache.accessModes | default (list "ReadWriteOnce")) | nindent 4 }}
  {{- with $cache.storageClass }}
  storageClassName: {{ if eq . "-" }}""{{ else }}{{ . }}{{ end }}
  {{- end }}
  resources:
    requests:
      storage: {{ $cache.size | default "20Gi" }}
{{- end }}
{{- end }}

{{/*
A gRPC model service: ServiceAccount, Deployment (native gRPC probes on
grpc.health.v1), headless Service (the gateway resolves every pod with
dns:/// and balances per call with round_robin), and its model-cache claim.
The service's own environment comes from "optivus.<name>.env", defined in
its template file.
*/}}
{{- define "optivus.grpcWorkload" -}}
{{- $root := .root -}}
{{- $svc := index $root.Values .name -}}
{{- if $svc.enabled }}
{{- $fullname := include "optivus.componentName" . -}}
{{- $port := int $svc.port -}}
{{- $upper := upper .name }}
---
{{ include "optivus.serviceAccount" . }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "optivus.labels" . | nindent 4 }}
spec:
  {{- include "optivus.deploymentSpecHead" . | trim | nindent 2 }}
  template:
    metadata:
      labels:
        {{- include "optivus.podLabels" . | nindent 8 }}
      {{- with include "optivus.podAnnotations" . }}
      annotations:
        {{- . | nindent 8 }}
      {{- end }}
    spec:
      {{- include "optivus.podSpecHead" . | nindent 6 }}
      containers:
        - name: {{ .name }}
          image: {{ include "optivus.image" . }}
          imagePullPolicy: {{ include "optivus.pullPolicy" . }}
          securityContext:
            {{- include "optivus.containerSecurityContext" . | nindent 12 }}
          ports:
            - name: grpc
              containerPort: {{ $port }}
              protocol: TCP
            {{- include "optivus.metricsContainerPort" $root | nindent 12 }}
          env:
            {{- include "optivus.commonEnv" . | nindent 12 }}
            - name: OPTIVUS_{{ $upper }}_HOST
              value: "0.0.0.0"
            - name: OPTIVUS_{{ $upper }}_PORT
              value: {{ $port | quote }}
            {{- with include (printf "optivus.%s.env" .name) . | trim }}
            {{- . | nindent 12 }}
            {{- end }}
            {{- with include "optivus.extraEnv" . | trim }}
            {{- . | nindent 12 }}
            {{- end }}
          startupProbe:
            grpc:
              port: {{ $port }}
            {{- with $svc.startupProbe }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          readinessProbe:
            grpc:
              port: {{ $port }}
            {{- with $svc.readinessProbe }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          livenessProbe:
            grpc:
              port: {{ $port }}
            {{- with $svc.livenessProbe }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- with include "optivus.lifecycle" . | trim }}
          {{- . | nindent 10 }}
          {{- end }}
          {{- with include "optivus.resources" . }}
          resources:
            {{- . | nindent 12 }}
          {{- end }}
          volumeMounts:
            {{- include "optivus.volumeMounts" (dict "root" $root "name" .name "shm" true) | nindent 12 }}
      volumes:
        {{- include "optivus.volumes" (dict "root" $root "name" .name "shm" true) | nindent 8 }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "optivus.labels" . | nindent 4 }}
spec:
  # Headless: DNS returns every ready pod, so gRPC clients (dns:/// +
  # round_robin) spread calls over them instead of pinning one connection.
  clusterIP: None
  selector:
    {{- include "optivus.selectorLabels" . | nindent 4 }}
  ports:
    - name: grpc
      port: {{ $port }}
      targetPort: grpc
      protocol: TCP
      appProtocol: kubernetes.io/h2c
{{- include "optivus.modelCachePvc" . }}
{{- end }}
{{- end }}

{{/* CPU HorizontalPodAutoscaler, when <service>.hpa.enabled. */}}
{{- define "optivus.hpa" -}}
{{- $svc := index .root.Values .name -}}
{{- if and $svc.enabled (dig "hpa" "enabled" false $svc) }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "optivus.componentName" . }}
  labels:
    {{- include "optivus.labels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "optivus.componentName" . }}
  minReplicas: {{ $svc.hpa.minReplicas | default 1 }}
  maxReplicas: {{ $svc.hpa.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $svc.hpa.cpuUtilization | default 70 }}
{{- end }}
{{- end }}
