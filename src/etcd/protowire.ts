/**
 * The protobuf wire format as etcd's gogo-generated Unmarshal code reads it (mvccpb,
 * etcdserverpb): gogo's checks (src/protobuf/wire.ts) with gogo's bare error texts, so a broken
 * value reads as it would in etcd.
 */
import { GogoReader, gogoFaultText, type WireFault } from '../protobuf/wire.ts';

export class WireError extends Error {}

export class WireReader extends GogoReader {
  protected fault(fault: WireFault, _label: string, wireType: number): WireError {
    const text = gogoFaultText(fault, wireType);
    // io.ErrUnexpectedEOF is the one error without gogo's `proto: ` prefix
    return new WireError(fault === 'eof' ? text : `proto: ${text}`);
  }
}
