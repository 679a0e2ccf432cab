/**
 * The protobuf wire format as etcd's gogo-generated Unmarshal code reads it (mvccpb,
 * etcdserverpb): gogo's checks (src/protobuf/gogo-reader.ts) with gogo's bare error texts, so a broken
 * value reads as it would in etcd.
 */
import { GogoReader, gogoFaultText, type WireFault } from '../protobuf/gogo-reader.ts';

/** A malformed etcd message, worded as etcd's gogo code words it. */
export class EtcdWireError extends Error {}

export class EtcdWireReader extends GogoReader {
  protected fault(fault: WireFault, _label: string, wireType: number): EtcdWireError {
    const text = gogoFaultText(fault, wireType);
    // io.ErrUnexpectedEOF is the one error without gogo's `proto: ` prefix
    return new EtcdWireError(fault === 'eof' ? text : `proto: ${text}`);
  }
}
