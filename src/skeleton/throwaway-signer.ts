/**
 * A freshly generated RSA-2048 key and self-signed certificate (with a SubjectKeyIdentifier, so
 * bpftool-style CMS can name the signer), for the "signed with a key the kernel does not trust"
 * probe of compare-schemes when the user does not supply an unrelated key. Never persisted, never
 * trusted by anything: it exists for one comparison run.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { createHash, generateKeyPairSync, randomBytes, sign as nodeSign } from 'node:crypto';

/** rfc 5280 / X.520 object identifiers used below. */
const OID_COMMON_NAME = '2.5.4.3';
const OID_SUBJECT_KEY_IDENTIFIER = '2.5.29.14';
const OID_SHA256_WITH_RSA = '1.2.840.113549.1.1.11';

export interface ThrowawaySigner {
  /** PKCS#8 private key, PEM. */
  readonly key: string;
  /** Self-signed certificate, DER. */
  readonly cert: Uint8Array;
}

function name(cn: string): pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: [
      new pkijs.AttributeTypeAndValue({ type: OID_COMMON_NAME, value: new asn1js.Utf8String({ value: cn }) }),
    ],
  });
}

/** Generate a key pair and a self-signed certificate for it (SHA-256 with RSA, SKID = SHA-1 of the key bits, like OpenSSL's default). */
export function throwawaySigner(commonName = 'bpfsim throwaway (untrusted) signing key'): ThrowawaySigner {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  const spkiAsn = asn1js.fromBER(spki);
  if (spkiAsn.offset === -1) throw new Error('cannot decode the generated public key');
  const publicKeyInfo = new pkijs.PublicKeyInfo({ schema: spkiAsn.result });
  const skid = createHash('sha1').update(new Uint8Array(publicKeyInfo.subjectPublicKey.valueBlock.valueHexView)).digest();
  const alg = () => new pkijs.AlgorithmIdentifier({ algorithmId: OID_SHA256_WITH_RSA, algorithmParams: new asn1js.Null() });
  const serial = randomBytes(16);
  serial[0] &= 0x7f; // a positive INTEGER
  const now = Date.now();
  const cert = new pkijs.Certificate({
    version: 2,
    serialNumber: new asn1js.Integer({ valueHex: serial }),
    signature: alg(),
    issuer: name(commonName),
    subject: name(commonName),
    notBefore: new pkijs.Time({ type: 0, value: new Date(now - 24 * 3600 * 1000) }),
    notAfter: new pkijs.Time({ type: 0, value: new Date(now + 365 * 24 * 3600 * 1000) }),
    subjectPublicKeyInfo: publicKeyInfo,
    extensions: [
      new pkijs.Extension({ extnID: OID_SUBJECT_KEY_IDENTIFIER, critical: false, extnValue: new asn1js.OctetString({ valueHex: skid }).toBER(false) }),
    ],
  });
  const tbs = new Uint8Array(cert.encodeTBS().toBER(false));
  cert.signatureAlgorithm = alg();
  cert.signatureValue = new asn1js.BitString({ valueHex: nodeSign('sha256', tbs, privateKey) });
  const der = new Uint8Array(cert.toSchema(true).toBER(false));
  return { key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), cert: der };
}
