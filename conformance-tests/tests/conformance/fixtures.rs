//! Fixed test keys and certificate (generated with OpenSSL for this suite).
//! Hex strings are split into lines; join them with `unhex`.

/// Decode a hex fixture split across lines.
pub fn unhex(parts: &[&str]) -> Vec<u8> {
    hex::decode(parts.concat()).expect("fixture hex")
}

/// RSA-2048 modulus
pub const RSA_N: &[&str] = &[
    "bf2f0a51d8435980777367e3fe3623fe7de01c718fb7bbb6cf0e1db360d02f83",
    "eb12003ada19b5849f25ba6db6f60cfd53db4a475ef3037ab52af4b7e3e66d40",
    "57b1714662d07d61c90fbb7d921acd376eab7d932168fc1c07146dc355544bc0",
    "c1fd75d02decf8eabaaadd8ff73072ea4f9ca369e7a14a1dc58edbf16253d451",
    "65c6ff48936cecd429eed72b40807a6e5e31fc146ce96f4947f3e93ea565b8dc",
    "01c4518afbc3a3fa41da21d4447bb8baab7e3675a1fab994bf1bca3be28c4a27",
    "d26d6cbdf3f033c43f28a6b78598f0656d9f5b011c1ceabf5883b9fda282d7ec",
    "44ddde45d1005a23020d7837e48f2aa75ece1b4381f6f67777bd6d661c828ca3",
];

/// RSA public exponent
pub const RSA_E: &[&str] = &["010001"];

/// RSA private exponent
pub const RSA_D: &[&str] = &[
    "18f0c48a5fc98d73fe613e44d6656eb5a4eb271ac37267191692d35a12bfa5eb",
    "322fd37ad9f7ef9fa0f95584399188a94596be6e681b10b1a1cfbc43ff0590ec",
    "0b64990fe3152abe26721875eda8f46b8e52eddb5348f4569dafd30fdfe252cd",
    "8f21070d04e8bca2367ed2cf94a22be39846296547f3d90ce0385e45f39b56ff",
    "9b18468b6a0f2e1580717a2cdce063b8aa4a775c60385811f688984e6d44f792",
    "964513d7b6b6fc3da7d4c91c820e6c9b427f6d4d4115da9bd76113ef15b4c814",
    "39bd73a083512358507689e7dd6ea19268427e3034708ad5d0a2e4129d3cb507",
    "0f547002091fc66c0925c0e5b31d8600e2d2e2852089910ade50741b11beabd1",
];

/// RSA prime 1
pub const RSA_P: &[&str] = &[
    "fed5074251dbd7922569afdd26986a9a8858a6f32f1ca4c5907cf2437cd96fea",
    "bbcdfdf5a44332d1a6ad2bdeb668104523517fa56d2c87dc217a5b1326b4200d",
    "cdd2541ef5d840928189938b2bfbfab24dae105c05ce04c6da413f258a635f18",
    "acb58d1668aa396e2f06092840197d390c8a34fd92c6ecd48f31917fe2b347f1",
];

/// RSA prime 2
pub const RSA_Q: &[&str] = &[
    "c00f56ca097ec0e3243ee35a86aeceaf2b60c2ebeccbfd2784aa09ae150734f0",
    "51dfecf1af64ececc6ffd68662b4bba5b14bd0f2c776dfb36043a850e22d000b",
    "cce41de83872ced83750b3cab5bbd4c6a34aac7e5a0850555cf4e3fd61199c32",
    "4f27e71ca8bc3021fed3cf6f573ab35cc79ea9886bf0c3ded8190b3d2bab51d3",
];

/// RSA exponent 1
pub const RSA_DP: &[&str] = &[
    "768180afb1bba7a33a2cccf0ee3ae1105e29c3f1c14df3be40742a8181f4e81b",
    "e41c6666ae6de59b2384d2aaee6eb46a42836af5f6304839f183a208e4edcd1e",
    "3e41fa86af5352ac0efb7896b6eca667f6c1e4afb6af58ff548e151c931fa520",
    "a768826512655ef1c3826e0dbec95bb785025ca43376b8ba1ca13385a25a3731",
];

/// RSA exponent 2
pub const RSA_DQ: &[&str] = &[
    "849ad2a08237caf3c935c681dd55da8c6555d49f520a71ca943556a3a40f2ac4",
    "f6b2b60514c58933de1e0c3f12ed9855c97900566fd3aa964dd3c8e5b793bc61",
    "6960e3294fb82d0a69fec57423500193f87079726fb527ca187958e4bbe313ce",
    "448ad76e192e7dc92b0991425da6c0ea414551e648289f04408de20da5160f53",
];

/// RSA coefficient
pub const RSA_QINV: &[&str] = &[
    "a67b0f9d58699f7a41e010088fc7199c2154cbbe81b662c5155e94ebd5be2673",
    "85e8bfb831b88db5af4b655bc219c9773729e0daece3a921bac1863b5376408f",
    "ca7ed8895d8d6717eca1be2eeb7de1f0e213e78b34c60fc540bba34f98d16e76",
    "a969921cb6f0f56ca89606acb7731afc1fa3ec57ddfafcfa3d7c8b92870bc317",
];

/// The same RSA key as PKCS#8 DER (for aws-lc-rs)
pub const RSA_PKCS8: &[&str] = &[
    "308204be020100300d06092a864886f70d0101010500048204a8308204a40201",
    "000282010100bf2f0a51d8435980777367e3fe3623fe7de01c718fb7bbb6cf0e",
    "1db360d02f83eb12003ada19b5849f25ba6db6f60cfd53db4a475ef3037ab52a",
    "f4b7e3e66d4057b1714662d07d61c90fbb7d921acd376eab7d932168fc1c0714",
    "6dc355544bc0c1fd75d02decf8eabaaadd8ff73072ea4f9ca369e7a14a1dc58e",
    "dbf16253d45165c6ff48936cecd429eed72b40807a6e5e31fc146ce96f4947f3",
    "e93ea565b8dc01c4518afbc3a3fa41da21d4447bb8baab7e3675a1fab994bf1b",
    "ca3be28c4a27d26d6cbdf3f033c43f28a6b78598f0656d9f5b011c1ceabf5883",
    "b9fda282d7ec44ddde45d1005a23020d7837e48f2aa75ece1b4381f6f67777bd",
    "6d661c828ca302030100010282010018f0c48a5fc98d73fe613e44d6656eb5a4",
    "eb271ac37267191692d35a12bfa5eb322fd37ad9f7ef9fa0f95584399188a945",
    "96be6e681b10b1a1cfbc43ff0590ec0b64990fe3152abe26721875eda8f46b8e",
    "52eddb5348f4569dafd30fdfe252cd8f21070d04e8bca2367ed2cf94a22be398",
    "46296547f3d90ce0385e45f39b56ff9b18468b6a0f2e1580717a2cdce063b8aa",
    "4a775c60385811f688984e6d44f792964513d7b6b6fc3da7d4c91c820e6c9b42",
    "7f6d4d4115da9bd76113ef15b4c81439bd73a083512358507689e7dd6ea19268",
    "427e3034708ad5d0a2e4129d3cb5070f547002091fc66c0925c0e5b31d8600e2",
    "d2e2852089910ade50741b11beabd102818100fed5074251dbd7922569afdd26",
    "986a9a8858a6f32f1ca4c5907cf2437cd96feabbcdfdf5a44332d1a6ad2bdeb6",
    "68104523517fa56d2c87dc217a5b1326b4200dcdd2541ef5d840928189938b2b",
    "fbfab24dae105c05ce04c6da413f258a635f18acb58d1668aa396e2f06092840",
    "197d390c8a34fd92c6ecd48f31917fe2b347f102818100c00f56ca097ec0e324",
    "3ee35a86aeceaf2b60c2ebeccbfd2784aa09ae150734f051dfecf1af64ececc6",
    "ffd68662b4bba5b14bd0f2c776dfb36043a850e22d000bcce41de83872ced837",
    "50b3cab5bbd4c6a34aac7e5a0850555cf4e3fd61199c324f27e71ca8bc3021fe",
    "d3cf6f573ab35cc79ea9886bf0c3ded8190b3d2bab51d3028180768180afb1bb",
    "a7a33a2cccf0ee3ae1105e29c3f1c14df3be40742a8181f4e81be41c6666ae6d",
    "e59b2384d2aaee6eb46a42836af5f6304839f183a208e4edcd1e3e41fa86af53",
    "52ac0efb7896b6eca667f6c1e4afb6af58ff548e151c931fa520a76882651265",
    "5ef1c3826e0dbec95bb785025ca43376b8ba1ca13385a25a373102818100849a",
    "d2a08237caf3c935c681dd55da8c6555d49f520a71ca943556a3a40f2ac4f6b2",
    "b60514c58933de1e0c3f12ed9855c97900566fd3aa964dd3c8e5b793bc616960",
    "e3294fb82d0a69fec57423500193f87079726fb527ca187958e4bbe313ce448a",
    "d76e192e7dc92b0991425da6c0ea414551e648289f04408de20da5160f530281",
    "8100a67b0f9d58699f7a41e010088fc7199c2154cbbe81b662c5155e94ebd5be",
    "267385e8bfb831b88db5af4b655bc219c9773729e0daece3a921bac1863b5376",
    "408fca7ed8895d8d6717eca1be2eeb7de1f0e213e78b34c60fc540bba34f98d1",
    "6e76a969921cb6f0f56ca89606acb7731afc1fa3ec57ddfafcfa3d7c8b92870b",
    "c317",
];

/// P-256 private scalar
pub const P256_D: &[&str] = &["0ed1fdd05287246e42284bccab59fcb0f2afa32df33229cd089f2b2cd34c4b08"];

/// P-256 public point (uncompressed SEC1)
pub const P256_Q: &[&str] = &[
    "048f58636f53882e9bbb779bfaf1ed52c9f6d97438c5df06c5d21d7288a9ae7f",
    "001aa2ef95250537b754e77288aa6c2bd361b14da9fbbdf9cfb214bacc2eaa99",
    "11",
];

/// Self-signed X.509 certificate (P-256 key above), DER
pub const CERT_DER: &[&str] = &[
    "308201b73082015da00302010202145bd7281fce4450821b3510629dfc1cdf06",
    "2d25f9300a06082a8648ce3d0403023030311f301d06035504030c16736f6674",
    "68736d2d727320636f6e666f726d616e6365310d300b060355040a0c04546573",
    "743020170d3236313132343231333432395a180f323132363130333132313334",
    "32395a3030311f301d06035504030c16736f667468736d2d727320636f6e666f",
    "726d616e6365310d300b060355040a0c04546573743059301306072a8648ce3d",
    "020106082a8648ce3d030107034200048f58636f53882e9bbb779bfaf1ed52c9",
    "f6d97438c5df06c5d21d7288a9ae7f001aa2ef95250537b754e77288aa6c2bd3",
    "61b14da9fbbdf9cfb214bacc2eaa9911a3533051301d0603551d0e04160414cb",
    "e6351d14581ba121621063c3f24e3c8f49f1b9301f0603551d23041830168014",
    "cbe6351d14581ba121621063c3f24e3c8f49f1b9300f0603551d130101ff0405",
    "30030101ff300a06082a8648ce3d0403020348003045022100d43e8f690face0",
    "f8a8899fe723f83777ffb7ed7603d3930c4b85c90ce80a14c00220164fc3f147",
    "157e7063c996071d9adeb6c254da08080a8582392bb4d3c62920b1",
];

/// DER of the certificate subject Name
pub const CERT_SUBJECT: &[&str] = &[
    "3030311f301d06035504030c16736f667468736d2d727320636f6e666f726d61",
    "6e6365310d300b060355040a0c0454657374",
];

/// DER INTEGER of the certificate serial number
pub const CERT_SERIAL: &[&str] = &["02145bd7281fce4450821b3510629dfc1cdf062d25f9"];

/// The fixed RSA private key as a creation template.
pub fn rsa_private_template(sensitive: bool) -> Vec<cryptoki::object::Attribute> {
    use cryptoki::object::{Attribute, KeyType, ObjectClass};
    vec![
        Attribute::Class(ObjectClass::PRIVATE_KEY),
        Attribute::KeyType(KeyType::RSA),
        Attribute::Private(true),
        Attribute::Sensitive(sensitive),
        Attribute::Sign(true),
        Attribute::Decrypt(true),
        Attribute::Modulus(unhex(RSA_N)),
        Attribute::PublicExponent(unhex(RSA_E)),
        Attribute::PrivateExponent(unhex(RSA_D)),
        Attribute::Prime1(unhex(RSA_P)),
        Attribute::Prime2(unhex(RSA_Q)),
        Attribute::Exponent1(unhex(RSA_DP)),
        Attribute::Exponent2(unhex(RSA_DQ)),
        Attribute::Coefficient(unhex(RSA_QINV)),
    ]
}
