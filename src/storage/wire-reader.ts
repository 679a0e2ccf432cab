/**
 * The storage layer's protobuf reader: gogo's checks (src/protobuf/gogo-reader.ts) with every failure a
 * K8sEncError naming the message and field, e.g. `proto: Secret.metadata: name: unexpected EOF`.
 */
import { K8sEncError } from '../errors.ts';
import { GogoReader, gogoFaultText, type WireFault } from '../protobuf/gogo-reader.ts';
import { WIRE_END_GROUP } from '../protobuf/wire.ts';

export function protobufError(where: string, problem: string): K8sEncError {
  return new K8sEncError('ERR_PROTOBUF', `proto: ${where}: ${problem}`);
}

export class StorageWireReader extends GogoReader {
  constructor(
    buf: Uint8Array,
    private readonly whereHead: string,
    /** Appended to whereHead only when an error needs it, so reading builds no path strings. */
    private readonly whereTail = '',
    /** The message's bytes within buf (all of it by default). */
    start = 0,
    end = buf.length,
  ) {
    super(buf, start, end);
  }

  /** The message being read, for error messages, e.g. `Secret.metadata (ObjectMeta)`. */
  get where(): string {
    return this.whereHead + this.whereTail;
  }

  protected fault(fault: WireFault, label: string, wireType: number): K8sEncError {
    const text = gogoFaultText(fault, wireType);
    return protobufError(this.where, fault === 'wire-type' ? text : `${label}: ${text}`);
  }

  /** A field's tag, refused as gogo's Unmarshal refuses it before looking at the field. */
  override tag(): { field: number; wire: number } {
    const { field, wire } = super.tag();
    if (wire === WIRE_END_GROUP) throw protobufError(this.where, 'wiretype end group for non-group');
    if (field <= 0) throw protobufError(this.where, `illegal tag ${field} (wire type ${wire})`);
    return { field, wire };
  }
}
