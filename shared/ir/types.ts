// The intermediate representation (IR): one typed, JSON-serialisable item per Kubernetes
// resource. Translation is two steps, and this file is the contract between them:
//
//   1. per resource: Kubernetes object → IrItem (shared/translate). Pure, needs no other object,
//      validates every field and records `Accepted` conditions. This is what the translate Lambda
//      stores in DynamoDB, one item per resource.
//   2. per cluster: all IrItems of one cluster → one xDS snapshot per Gateway plus the statuses that
//      depend on other resources (`ResolvedRefs`, route parents) (shared/xds). This is what the
//      snapshot builder runs.
//
// Everything here is plain data: no classes, no Maps, no undefined-vs-missing games. Arrays that
// carry no order of their own are sorted by the producer so output is byte-for-byte deterministic.

export const IR_SCHEMA_VERSION = 1 as const;

/** Identifies a Kubernetes resource. `group` is '' for the core API group. */
export interface ResourceId {
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

/** A reference from one resource to another, already defaulted (group, kind, namespace filled in). */
export interface ObjectRef {
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

/** A reference to a Secret (or ConfigMap for CA bundles). Values never travel; only the name. */
export interface SecretRef {
  /** 'Secret' or 'ConfigMap'. */
  kind: 'Secret' | 'ConfigMap';
  namespace: string;
  name: string;
  /** The key inside the Secret when it matters (e.g. an API key), otherwise absent. */
  key?: string;
}

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** A status condition as Kubernetes, kgateway and Envoy Gateway report them. */
export interface Condition {
  type: string;
  status: ConditionStatus;
  reason: string;
  /** Names the resource and the field, e.g. `Backend default/lambda: spec.aws.lambda.functionName: ...`. */
  message: string;
  observedGeneration?: number;
}

/** Condition types and reasons we use; free strings are allowed but prefer these. */
export const ConditionType = {
  Accepted: 'Accepted',
  ResolvedRefs: 'ResolvedRefs',
  Programmed: 'Programmed',
} as const;

export const Reason = {
  Accepted: 'Accepted',
  Invalid: 'Invalid',
  ResolvedRefs: 'ResolvedRefs',
  BackendNotFound: 'BackendNotFound',
  RefNotPermitted: 'RefNotPermitted',
  InvalidKind: 'InvalidKind',
  UnsupportedAddressType: 'UnsupportedAddressType',
  UnsupportedValue: 'UnsupportedValue',
  NoMatchingParent: 'NoMatchingParent',
  NotAllowedByListeners: 'NotAllowedByListeners',
  NoMatchingListenerHostname: 'NoMatchingListenerHostname',
  InvalidCertificateRef: 'InvalidCertificateRef',
  Programmed: 'Programmed',
  NotOwned: 'NotOwned',
} as const;

/** Status of one route towards one parent (Gateway API `status.parents[]`). */
export interface RouteParentStatus {
  parentRef: ObjectRef & { sectionName?: string; port?: number };
  controllerName: string;
  conditions: Condition[];
}

/** Everything we report about one resource. */
export interface ResourceStatus {
  resource: ResourceId;
  conditions: Condition[];
  /** Routes only: per-parent conditions. */
  parents?: RouteParentStatus[];
}

// ---------------------------------------------------------------------------------------------
// Per-kind IR specs

export interface GatewayClassIR {
  controllerName: string;
}

export type ListenerProtocol = 'HTTP' | 'HTTPS';

export interface GatewayListenerIR {
  name: string;
  port: number;
  protocol: ListenerProtocol;
  hostname?: string;
  tls?: {
    mode: 'Terminate';
    certificateRefs: SecretRef[];
  };
  allowedRoutes: {
    namespaces: { from: 'Same' | 'All' | 'Selector'; selector?: LabelSelector };
    /** Allowed route kinds; defaults to HTTPRoute. */
    kinds: Array<{ group: string; kind: string }>;
  };
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{
    key: string;
    operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    values?: string[];
  }>;
}

export interface GatewayIR {
  gatewayClassName: string;
  listeners: GatewayListenerIR[];
}

export type PathMatchIR =
  | { type: 'Exact'; value: string }
  | { type: 'PathPrefix'; value: string }
  | { type: 'RegularExpression'; value: string };

export interface HeaderMatchIR {
  type: 'Exact' | 'RegularExpression';
  name: string;
  value: string;
}

export interface QueryParamMatchIR {
  type: 'Exact' | 'RegularExpression';
  name: string;
  value: string;
}

export interface RouteMatchIR {
  path: PathMatchIR;
  headers: HeaderMatchIR[];
  queryParams: QueryParamMatchIR[];
  method?: string;
}

export interface HeaderModifierIR {
  set: Array<{ name: string; value: string }>;
  add: Array<{ name: string; value: string }>;
  remove: string[];
}

export type HTTPRouteFilterIR =
  | { type: 'RequestHeaderModifier'; requestHeaderModifier: HeaderModifierIR }
  | { type: 'ResponseHeaderModifier'; responseHeaderModifier: HeaderModifierIR }
  | {
      type: 'RequestRedirect';
      requestRedirect: {
        scheme?: 'http' | 'https';
        hostname?: string;
        path?:
          | { type: 'ReplaceFullPath'; replaceFullPath: string }
          | { type: 'ReplacePrefixMatch'; replacePrefixMatch: string };
        port?: number;
        statusCode: 301 | 302 | 303 | 307 | 308;
      };
    }
  | {
      type: 'URLRewrite';
      urlRewrite: {
        hostname?: string;
        path?:
          | { type: 'ReplaceFullPath'; replaceFullPath: string }
          | { type: 'ReplacePrefixMatch'; replacePrefixMatch: string };
      };
    }
  | { type: 'RequestMirror'; requestMirror: { backendRef: BackendRefIR; percent?: number } };

export interface BackendRefIR {
  ref: ObjectRef;
  port?: number;
  /** Defaults to 1 as in Gateway API. 0 means no traffic. */
  weight: number;
  filters: HTTPRouteFilterIR[];
}

export interface HTTPRouteRuleIR {
  name?: string;
  /** Defaults to a single PathPrefix "/" match as in Gateway API. */
  matches: RouteMatchIR[];
  filters: HTTPRouteFilterIR[];
  backendRefs: BackendRefIR[];
  timeouts?: { request?: string; backendRequest?: string };
}

export interface ParentRefIR extends ObjectRef {
  sectionName?: string;
  port?: number;
}

export interface HTTPRouteIR {
  parentRefs: ParentRefIR[];
  hostnames: string[];
  rules: HTTPRouteRuleIR[];
}

export interface ReferenceGrantIR {
  from: Array<{ group: string; kind: string; namespace: string }>;
  to: Array<{ group: string; kind: string; name?: string }>;
}

export interface UpstreamTlsIR {
  /** SNI to send; absent means none unless autoSni. */
  sni?: string;
  autoSni?: boolean;
  /** Validate against these CA bundles (served through SDS by name). */
  caCertificateRefs: SecretRef[];
  /** 'System' = the proxy's system trust store. */
  wellKnownCACertificates?: 'System';
  subjectAltNames: string[];
  insecureSkipVerify?: boolean;
}

export interface BackendTLSPolicyIR {
  targetRefs: Array<{ group: string; kind: string; name: string; sectionName?: string }>;
  validation: {
    hostname: string;
    caCertificateRefs: SecretRef[];
    wellKnownCACertificates?: 'System';
    subjectAltNames: string[];
  };
}

export interface ServicePortIR {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  appProtocol?: string;
}

export interface ServiceIR {
  type: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
  externalName?: string;
  ports: ServicePortIR[];
}

export interface EndpointSliceIR {
  /** From the `kubernetes.io/service-name` label. */
  serviceName: string;
  addressType: 'IPv4' | 'IPv6' | 'FQDN';
  ports: Array<{ name?: string; port: number; protocol: 'TCP' | 'UDP' | 'SCTP'; appProtocol?: string }>;
  endpoints: Array<{ addresses: string[]; ready: boolean; zone?: string }>;
}

export interface SecretIR {
  type: string;
  /** Key names only. Values are never read into the IR. */
  keys: string[];
}

/** One address a backend sends traffic to. */
export type EndpointAddressIR =
  | { kind: 'fqdn'; hostname: string; port: number }
  | { kind: 'ip'; address: string; port: number }
  | { kind: 'unix'; path: string };

export interface BackendEndpointIR {
  address: EndpointAddressIR;
  /** 0 = primary, 1 = fallback (Envoy Gateway `fallback: true`), only used when the primaries are unhealthy. */
  priority: number;
}

export type UpstreamProtocolIR = 'http1' | 'http2' | 'h2c' | 'ws' | 'wss';

/** AWS credentials for signing: the proxy's default chain, a Secret served through SDS, or an assumed role. */
export type AwsAuthIR =
  | { mode: 'defaultChain' }
  | { mode: 'secret'; secretRef: SecretRef }
  | { mode: 'assumeRole'; roleArn: string; roleSessionName: string; externalId?: string };

export type LlmProviderName =
  | 'openai'
  | 'azureopenai'
  | 'anthropic'
  | 'gemini'
  | 'vertexai'
  | 'bedrock'
  | 'mistral';

export type LlmAuthIR =
  /** The client's own Authorization header is forwarded as is. */
  | { mode: 'passthrough' }
  /** Injected from a Secret served through SDS; never inlined. */
  | { mode: 'secret'; secretRef: SecretRef; header: string; prefix: string }
  /** AWS SigV4 (Bedrock). */
  | { mode: 'aws'; region: string; auth: AwsAuthIR };

export interface LlmProviderIR {
  provider: LlmProviderName;
  model?: string;
  host: string;
  port: number;
  /** Full path the provider expects, e.g. `/v1/chat/completions`; replaces the request path. */
  path: string;
  auth: LlmAuthIR;
  /** Provider-specific settings that shape host or path (Azure deployment, Vertex project, ...). */
  settings: Record<string, string>;
}

export type BackendIR =
  | {
      type: 'static';
      endpoints: BackendEndpointIR[];
      protocol?: UpstreamProtocolIR;
      tls?: UpstreamTlsIR;
    }
  | {
      type: 'lambda';
      /** Fully qualified function ARN including the qualifier when one is set. */
      arn: string;
      functionName: string;
      qualifier: string;
      region: string;
      accountId: string;
      invocationMode: 'Sync' | 'Async';
      payloadTransformMode: 'Envelope' | 'None';
      /** Where Envoy sends the Invoke call: lambda.<region>.amazonaws.com:443 or `endpointURL`. */
      endpoint: { host: string; port: number; tls: boolean };
      auth: AwsAuthIR;
    }
  | {
      type: 'ai';
      /** Priority groups: index 0 is tried first; one provider alone is `[[p]]`. */
      priorities: LlmProviderIR[][];
    }
  | { type: 'dynamicForwardProxy'; enableTls: boolean }
  /** Envoy Gateway `type: DynamicResolver`: host taken from the request, resolved by DNS. */
  | { type: 'dynamicResolver'; tls?: UpstreamTlsIR };

export interface AIServiceBackendIR {
  schema: {
    name:
      | 'OpenAI'
      | 'Anthropic'
      | 'AWSBedrock'
      | 'AzureOpenAI'
      | 'GCPVertexAI'
      | 'GCPAnthropic'
      | 'AWSAnthropic'
      | 'Cohere';
    version?: string;
    prefix?: string;
  };
  backendRef: ObjectRef;
  headerMutation?: { set: Array<{ name: string; value: string }>; remove: string[] };
  bodyMutation?: { set: Array<{ path: string; value: string }>; remove: string[] };
}

export interface BackendSecurityPolicyIR {
  targetRefs: Array<{ group: string; kind: string; name: string }>;
  type: 'APIKey' | 'AzureAPIKey' | 'AnthropicAPIKey' | 'AWSCredentials';
  /** APIKey, AzureAPIKey, AnthropicAPIKey: the Secret holding the key. */
  secretRef?: SecretRef;
  /** AWSCredentials. */
  aws?: { region: string; auth: AwsAuthIR };
}

/** Maps each IR kind to its spec. The IR kind is the Kubernetes kind, except that both Backend APIs share `Backend`. */
export interface IrSpecByKind {
  GatewayClass: GatewayClassIR;
  Gateway: GatewayIR;
  HTTPRoute: HTTPRouteIR;
  ReferenceGrant: ReferenceGrantIR;
  BackendTLSPolicy: BackendTLSPolicyIR;
  Service: ServiceIR;
  EndpointSlice: EndpointSliceIR;
  Secret: SecretIR;
  Backend: BackendIR;
  AIServiceBackend: AIServiceBackendIR;
  BackendSecurityPolicy: BackendSecurityPolicyIR;
}

export type IrKind = keyof IrSpecByKind;

/** One resource in IR form: what is stored per resource and what the snapshot builder consumes. */
export interface IrItem<K extends IrKind = IrKind> {
  schemaVersion: typeof IR_SCHEMA_VERSION;
  kind: K;
  id: ResourceId;
  /** Source metadata, kept for ordering and status. */
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels: Record<string, string>;
  /** The translated spec; null when the resource is invalid (see conditions). */
  spec: IrSpecByKind[K] | null;
  /** Per-resource conditions (Accepted, and any field-level problems). */
  conditions: Condition[];
}

export type AnyIrItem = { [K in IrKind]: IrItem<K> }[IrKind];
