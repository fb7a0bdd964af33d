package rpm

// Tag names one entry of a header.
type Tag uint32

// Tags of the main header that repository metadata reads.
const (
	TagHeaderSignatures Tag = 62 // region tag of the signature header
	TagHeaderImmutable  Tag = 63 // region tag of the main header
	TagHeaderI18NTable  Tag = 100

	TagName            Tag = 1000
	TagVersion         Tag = 1001
	TagRelease         Tag = 1002
	TagEpoch           Tag = 1003
	TagSummary         Tag = 1004
	TagDescription     Tag = 1005
	TagBuildTime       Tag = 1006
	TagBuildHost       Tag = 1007
	TagSize            Tag = 1009
	TagVendor          Tag = 1011
	TagLicense         Tag = 1014
	TagPackager        Tag = 1015
	TagGroup           Tag = 1016
	TagURL             Tag = 1020
	TagOS              Tag = 1021
	TagArch            Tag = 1022
	TagOldFileNames    Tag = 1027
	TagFileSizes       Tag = 1028
	TagFileModes       Tag = 1030
	TagFileRdevs       Tag = 1033
	TagFileMtimes      Tag = 1034
	TagFileDigests     Tag = 1035
	TagFileLinkTos     Tag = 1036
	TagFileFlags       Tag = 1037
	TagFileUserName    Tag = 1039
	TagFileGroupName   Tag = 1040
	TagSourceRPM       Tag = 1044
	TagFileVerifyFlags Tag = 1045
	TagArchiveSize     Tag = 1046
	TagProvideName     Tag = 1047
	TagRequireFlags    Tag = 1048
	TagRequireName     Tag = 1049
	TagRequireVersion  Tag = 1050
	TagConflictFlags   Tag = 1053
	TagConflictName    Tag = 1054
	TagConflictVersion Tag = 1055
	TagRPMVersion      Tag = 1064
	TagChangelogTime   Tag = 1080
	TagChangelogName   Tag = 1081
	TagChangelogText   Tag = 1082
	TagObsoleteName    Tag = 1090
	TagFileDevices     Tag = 1095
	TagFileInodes      Tag = 1096
	TagFileLangs       Tag = 1097
	TagSourcePackage   Tag = 1106
	TagProvideFlags    Tag = 1112
	TagProvideVersion  Tag = 1113
	TagObsoleteFlags   Tag = 1114
	TagObsoleteVersion Tag = 1115
	TagDirIndexes      Tag = 1116
	TagBaseNames       Tag = 1117
	TagDirNames        Tag = 1118
	TagPayloadFormat   Tag = 1124
	TagPayloadCompress Tag = 1125
	TagPayloadFlags    Tag = 1126

	// Weak dependencies as SUSE wrote them before rpm 4.12.
	TagOldSuggestsName    Tag = 1156
	TagOldSuggestsVersion Tag = 1157
	TagOldSuggestsFlags   Tag = 1158
	TagOldEnhancesName    Tag = 1159
	TagOldEnhancesVersion Tag = 1160
	TagOldEnhancesFlags   Tag = 1161

	TagFileDigestAlgo    Tag = 5011
	TagLongFileSizes     Tag = 5008
	TagLongSize          Tag = 5009
	TagRecommendName     Tag = 5046
	TagRecommendVersion  Tag = 5047
	TagRecommendFlags    Tag = 5048
	TagSuggestName       Tag = 5049
	TagSuggestVersion    Tag = 5050
	TagSuggestFlags      Tag = 5051
	TagSupplementName    Tag = 5052
	TagSupplementVersion Tag = 5053
	TagSupplementFlags   Tag = 5054
	TagEnhanceName       Tag = 5055
	TagEnhanceVersion    Tag = 5056
	TagEnhanceFlags      Tag = 5057
	TagEncoding          Tag = 5062
	TagPayloadDigest     Tag = 5092
	TagPayloadDigestAlgo Tag = 5093
	// The 64-bit archive size shares its number with the signature tag.
	TagLongArchiveSize Tag = 271
)

// Tags of the signature header.
const (
	SigDSA             Tag = 267  // OpenPGP DSA/ECDSA/EdDSA signature over the main header
	SigRSA             Tag = 268  // OpenPGP RSA signature over the main header
	SigSHA1            Tag = 269  // hex SHA-1 of the main header
	SigLongSize        Tag = 270  // header + payload size, 64-bit
	SigLongArchiveSize Tag = 271  // uncompressed payload size, 64-bit
	SigSHA256          Tag = 273  // hex SHA-256 of the main header
	SigOpenPGP         Tag = 278  // base64 OpenPGP signatures over the main header (rpm 6)
	SigSize            Tag = 1000 // header + payload size
	SigPGP             Tag = 1002 // OpenPGP RSA signature over header and payload
	SigMD5             Tag = 1004 // MD5 of header and payload
	SigGPG             Tag = 1005 // OpenPGP DSA signature over header and payload
	SigPayloadSize     Tag = 1007 // uncompressed payload size
	SigReservedSpace   Tag = 1008
)

// Type is the data type of a header entry.
type Type uint32

// The entry types of the rpm header format.
const (
	TypeNull        Type = 0
	TypeChar        Type = 1
	TypeInt8        Type = 2
	TypeInt16       Type = 3
	TypeInt32       Type = 4
	TypeInt64       Type = 5
	TypeString      Type = 6
	TypeBin         Type = 7
	TypeStringArray Type = 8
	TypeI18NString  Type = 9
)

// Dependency flags (RPMSENSE_*).
const (
	SenseLess       = 1 << 1
	SenseGreater    = 1 << 2
	SenseEqual      = 1 << 3
	SenseCompare    = SenseLess | SenseGreater | SenseEqual
	SensePostTrans  = 1 << 5
	SensePreReq     = 1 << 6
	SensePreTrans   = 1 << 7
	SenseInterp     = 1 << 8
	SenseScriptPre  = 1 << 9
	SenseScriptPost = 1 << 10
	SenseMissingOK  = 1 << 19
	SenseRPMLib     = 1 << 24
	SenseStrong     = 1 << 27
)

// File flags (RPMFILE_*).
const (
	FileConfig = 1 << 0
	FileDoc    = 1 << 1
	FileGhost  = 1 << 6
)
